"""The dates an event's schedule gives: RFC 5545 recurrence in Europe/Paris wall time.

Rules are expanded from a start that carries the ``Europe/Paris`` zone, so "every
Wednesday at 10:30" stays at 10:30 on both sides of a daylight-saving change (the UTC
instant moves by an hour, which is what people expect). Exceptions are whole local days:
excluded dates, and school holiday periods when the event skips them.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dateutil import rrule as dateutil_rrule

from agenda.models import TZ

# A rule with neither UNTIL nor COUNT is expanded this far ahead; the nightly task
# extends it as days pass.
OPEN_ENDED_HORIZON = timedelta(days=400)
# No schedule gives more dates than this: a mistyped FREQ=MINUTELY stops here.
MAX_OCCURRENCES = 1000

WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


class RecurrenceError(ValueError):
    """A rule that cannot be read; the message is French, for the editor."""


@dataclass(frozen=True)
class Slot:
    """One date of an event: ``original_start`` is what the rule gave (RECURRENCE-ID)."""

    original_start: datetime
    starts_at: datetime
    ends_at: datetime


def parse_rule(rule: str, dtstart: datetime) -> dateutil_rrule.rrule:
    """The rule as dateutil reads it, or :class:`RecurrenceError`."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text:
        raise RecurrenceError("La règle de répétition est vide.")
    try:
        parsed = dateutil_rrule.rrulestr(text, dtstart=dtstart.astimezone(TZ))
    except (ValueError, TypeError) as error:
        raise RecurrenceError(f"Règle de répétition illisible ({error}).") from error
    if not isinstance(parsed, dateutil_rrule.rrule):
        raise RecurrenceError("Une seule règle de répétition est possible.")
    return parsed


def weekly_rule(starts_at: datetime, until: date | None, interval: int = 1) -> str:
    """The rule "every ``interval`` weeks on the start's weekday, until ``until``"."""
    parts = ["FREQ=WEEKLY"]
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    parts.append("BYDAY=" + WEEKDAYS[starts_at.astimezone(TZ).weekday()])
    return ";".join(parts + _until(until))


def simple_rule(kind: str, starts_at: datetime, until: date | None) -> str:
    """A rule from the back-office's simple choices: daily, weekly, fortnightly, monthly
    (the same weekday of the month: the second Saturday), with an end date."""
    local = starts_at.astimezone(TZ)
    if kind == "daily":
        return ";".join(["FREQ=DAILY", *_until(until)])
    if kind == "weekly":
        return weekly_rule(starts_at, until)
    if kind == "fortnightly":
        return weekly_rule(starts_at, until, interval=2)
    if kind == "monthly":
        nth = (local.day - 1) // 7 + 1
        position = -1 if nth == 5 else nth
        return ";".join(
            ["FREQ=MONTHLY", f"BYDAY={position}{WEEKDAYS[local.weekday()]}"] + _until(until)
        )
    raise ValueError(kind)


def _until(until: date | None) -> list[str]:
    if until is None:
        return []
    # The end of that local day, written in UTC as RFC 5545 requires with a zoned DTSTART.
    end = datetime.combine(until, datetime.max.time().replace(microsecond=0), TZ)
    return [f"UNTIL={end.astimezone(UTC):%Y%m%dT%H%M%SZ}"]


def expand(
    *,
    starts_at: datetime,
    ends_at: datetime,
    rule: str = "",
    extra_dates: Iterable[tuple[datetime, datetime]] = (),
    excluded_dates: Iterable[date] = (),
    holidays: Sequence[tuple[date, date]] = (),
    now: datetime | None = None,
) -> list[Slot]:
    """Every date of a schedule, in order: the first date, the rule's repetitions, the
    extra dates, less the excluded days and (if given) the holiday periods.

    An open-ended rule stops ``OPEN_ENDED_HORIZON`` after ``now``; no schedule yields more
    than ``MAX_OCCURRENCES`` dates. Raises :class:`RecurrenceError` for an unreadable rule.
    """
    # Wall-clock length (both in Paris time): values read from the database are UTC,
    # and a date across a clock change keeps its hours, not its elapsed time.
    duration = ends_at.astimezone(TZ) - starts_at.astimezone(TZ)
    first = starts_at.astimezone(TZ)
    starts: list[datetime] = [first]
    if rule:
        parsed = parse_rule(rule, first)
        limit = max(now or first, first) + OPEN_ENDED_HORIZON
        starts = []
        for start in parsed:
            if start > limit or len(starts) >= MAX_OCCURRENCES:
                break
            starts.append(start)
    slots = {s: Slot(s, s, s + duration) for s in starts}
    for extra_start, extra_end in extra_dates:
        local = extra_start.astimezone(TZ)
        slots.setdefault(local, Slot(local, local, extra_end.astimezone(TZ)))
    excluded = set(excluded_dates)

    def kept(slot: Slot) -> bool:
        day = slot.starts_at.date()
        if day in excluded:
            return False
        return not any(begin <= day <= end for begin, end in holidays)

    return sorted(filter(kept, slots.values()), key=lambda s: s.starts_at)[:MAX_OCCURRENCES]
