"""Opening hours: when a site is open, computed in Europe/Paris wall-clock time.

A site's usual hours are an OpenStreetMap ``opening_hours`` expression, parsed by
opening-hours-py. French public holidays are closed unless the expression mentions
``PH``; a dated exception (closure, summer hours) replaces the usual hours for its days.
Everything is evaluated on naive local times and converted back with zoneinfo, so the
nights when clocks change give the hours a person reads on the door.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays
from opening_hours import OpeningHours, ParserError, State

TZ = ZoneInfo("Europe/Paris")
DAY_NAMES = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MIDNIGHT = time(0, 0)
LOOKAHEAD_DAYS = 21


class ExceptionLike(Protocol):
    label: str
    start_date: date
    end_date: date
    opening_hours: str


@dataclass(frozen=True)
class Interval:
    start: time
    end: time  # time(0, 0) as an end means midnight, the end of the day

    def __str__(self) -> str:
        return f"{format_time(self.start)} – {format_time(self.end, end=True)}"


@dataclass(frozen=True)
class DaySchedule:
    day: date
    intervals: tuple[Interval, ...]
    note: str = ""  # exception label or public holiday name
    is_exception: bool = False

    @property
    def is_closed(self) -> bool:
        return not self.intervals

    @property
    def day_name(self) -> str:
        return DAY_NAMES[self.day.weekday()]


@dataclass(frozen=True)
class Status:
    known: bool
    is_open: bool = False
    closes_at: datetime | None = None
    opens_at: datetime | None = None
    note: str = ""
    now: datetime = field(default_factory=lambda: datetime.now(TZ))

    @property
    def text(self) -> str:
        if not self.known:
            return "Horaires non renseignés"
        if self.is_open:
            if self.closes_at is None:
                return "Ouvert maintenant"
            return f"Ouvert maintenant — ferme {_when(self.closes_at, self.now, end=True)}"
        if self.opens_at is None:
            return "Fermé"
        return f"Fermé — ouvre {_when(self.opens_at, self.now)}"


NBSP = "\N{NO-BREAK SPACE}"  # "18 h 30" never breaks across two lines


def format_time(value: time, *, end: bool = False) -> str:
    if end and value == MIDNIGHT:
        return "minuit"
    if value.minute:
        return f"{value.hour}{NBSP}h{NBSP}{value.minute:02d}"
    return f"{value.hour}{NBSP}h"


def _when(moment: datetime, now: datetime, *, end: bool = False) -> str:
    local, today = moment.astimezone(TZ), now.astimezone(TZ).date()
    clock = format_time(local.time(), end=end)
    if end and local.time() == MIDNIGHT:
        return "à minuit"
    if local.date() == today:
        return f"à {clock}"
    if local.date() == today + timedelta(days=1):
        return f"demain à {clock}"
    if local.date() - today < timedelta(days=7):
        return f"{DAY_NAMES[local.weekday()]} à {clock}"
    return f"le {local.day} {_MONTHS[local.month - 1]} à {clock}"


_MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip


def _with_holidays(expression: str) -> str:
    """Public holidays are closed unless the expression says otherwise (``PH …``)."""
    expression = expression.strip().rstrip(";")
    if re.search(r"\bPH\b", expression):
        return expression
    return f"{expression}; PH off"


@lru_cache(maxsize=2048)
def _parse(expression: str) -> OpeningHours:
    return OpeningHours(_with_holidays(expression), country="FR")


def syntax_problem(expression: str) -> str | None:
    """A French message when ``expression`` is not valid opening_hours syntax, else None."""
    if not expression.strip():
        return None
    try:
        _parse(expression)
    except (ParserError, SyntaxError, ValueError) as error:
        position = re.search(r"--> \d+:(\d+)", str(error))
        where = f" Erreur vers le caractère {position.group(1)}." if position else ""
        return (
            "Horaires illisibles : utilisez la syntaxe OpenStreetMap, "
            f"par exemple « Tu-Fr 10:00-18:00; Sa 10:00-17:00 ».{where}"
        )
    return None


@lru_cache(maxsize=16)
def _french_holidays(year: int) -> holidays.HolidayBase:
    # Building the calendar loads translation catalogues: once per year and process.
    return holidays.France(years=year, language="fr")


def holiday_name(day: date) -> str:
    return _french_holidays(day.year).get(day, "")


def _intervals_for(expression: str, day: date) -> tuple[Interval, ...]:
    start = datetime.combine(day, MIDNIGHT)
    end = start + timedelta(days=1)
    result = []
    for begin, finish, state, _comment in _parse(expression).intervals(start, end):
        if state != State.OPEN:
            continue
        begin, finish = max(begin, start), min(finish, end)
        if begin < finish:
            result.append(Interval(begin.time(), finish.time()))
    return tuple(result)


def day_schedule(expression: str, exceptions: Iterable[ExceptionLike], day: date) -> DaySchedule:
    """The hours of one day, after exceptions and public holidays."""
    for exception in exceptions:
        if exception.start_date <= day <= exception.end_date:
            hours = exception.opening_hours.strip()
            intervals = _intervals_for(hours, day) if hours else ()
            return DaySchedule(day, intervals, exception.label, is_exception=True)
    if not expression.strip():
        return DaySchedule(day, ())
    return DaySchedule(day, _intervals_for(expression, day), holiday_name(day))


def week_schedule(
    expression: str, exceptions: Sequence[ExceptionLike], start: date, days: int = 7
) -> list[DaySchedule]:
    return [day_schedule(expression, exceptions, start + timedelta(days=n)) for n in range(days)]


def _aware(day: date, moment: time, *, end: bool = False) -> datetime:
    if end and moment == MIDNIGHT:
        return datetime.combine(day + timedelta(days=1), MIDNIGHT, tzinfo=TZ)
    return datetime.combine(day, moment, tzinfo=TZ)


def _closing(expression: str, exceptions: Sequence[ExceptionLike], day: date, end: time):
    """When an interval ending at ``end`` really closes: hours running past midnight go on
    into the next day's interval starting at 00:00. None when open around the clock."""
    for _ in range(7):
        if end != MIDNIGHT:
            return _aware(day, end, end=True)
        day = day + timedelta(days=1)
        following = day_schedule(expression, exceptions, day).intervals
        if not following or following[0].start != MIDNIGHT:
            return _aware(day, MIDNIGHT)
        end = following[0].end
    return None


def status_at(expression: str, exceptions: Sequence[ExceptionLike], now: datetime) -> Status:
    """Open or closed at ``now`` (an aware datetime), with the next change."""
    has_hours = bool(expression.strip()) or any(e.opening_hours.strip() for e in exceptions)
    if not has_hours:
        return Status(known=False, now=now)
    local = now.astimezone(TZ)
    today, clock = local.date(), local.replace(tzinfo=None).time()
    schedule = day_schedule(expression, exceptions, today)
    for interval in schedule.intervals:
        ends_at_midnight = interval.end == MIDNIGHT
        if interval.start <= clock and (ends_at_midnight or clock < interval.end):
            closes = _closing(expression, exceptions, today, interval.end)
            return Status(True, True, closes_at=closes, note=schedule.note, now=now)
    closed_note = schedule.note
    for offset in range(LOOKAHEAD_DAYS):
        day = today + timedelta(days=offset)
        schedule = schedule if offset == 0 else day_schedule(expression, exceptions, day)
        for interval in schedule.intervals:
            if offset or interval.start > clock:
                opens = _aware(day, interval.start)
                return Status(True, False, opens_at=opens, note=closed_note, now=now)
    return Status(True, False, note=closed_note, now=now)


def valid_until(statuses: Iterable[Status], now: datetime) -> datetime:
    """Until when these statuses read true: the next opening or closing among them, and
    never past midnight (when "demain" becomes "aujourd'hui")."""
    local = now.astimezone(TZ)
    limit = datetime.combine(local.date() + timedelta(days=1), MIDNIGHT, tzinfo=TZ)
    for status in statuses:
        for moment in (status.closes_at, status.opens_at):
            if moment is not None and moment < limit:
                limit = moment
    return limit
