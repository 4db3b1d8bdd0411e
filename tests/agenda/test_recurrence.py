"""The dates a schedule gives, in Europe/Paris wall time."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agenda import recurrence

PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_weekly_story_time_keeps_its_local_hour_across_the_autumn_clock_change():
    # 2026-10-25: clocks go back in France. 10:30 stays 10:30; the UTC instant moves.
    start = paris(2026, 10, 14, 10, 30)
    rule = recurrence.weekly_rule(start, until=date(2026, 11, 4))
    slots = recurrence.expand(starts_at=start, ends_at=start + timedelta(minutes=45), rule=rule)
    local = [s.starts_at.astimezone(PARIS) for s in slots]
    assert [d.date() for d in local] == [
        date(2026, 10, 14), date(2026, 10, 21), date(2026, 10, 28), date(2026, 11, 4)
    ]  # fmt: skip
    assert {(d.hour, d.minute) for d in local} == {(10, 30)}
    assert [s.starts_at.utcoffset() for s in slots] == [timedelta(hours=h) for h in (2, 2, 1, 1)]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=45) for s in slots)


def test_spring_clock_change_at_a_nonexistent_hour_lands_on_a_real_instant():
    # 2027-03-28 02:30 does not exist in Paris: the date still exists, one real instant.
    start = paris(2027, 3, 21, 2, 30)
    slots = recurrence.expand(
        starts_at=start, ends_at=start + timedelta(hours=1), rule="FREQ=WEEKLY;COUNT=3"
    )
    assert [s.starts_at.date() for s in slots] == [
        date(2027, 3, 21), date(2027, 3, 28), date(2027, 4, 4)
    ]  # fmt: skip
    assert len({s.starts_at.timestamp() for s in slots}) == 3


def test_every_wednesday_until_june_except_school_holidays_and_one_excluded_day():
    start = paris(2027, 1, 6, 10, 30)
    holidays = [(date(2027, 2, 13), date(2027, 2, 28)), (date(2027, 4, 10), date(2027, 4, 25))]
    slots = recurrence.expand(
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        rule=recurrence.weekly_rule(start, until=date(2027, 6, 30)),
        excluded_dates=[date(2027, 5, 12)],
        holidays=holidays,
    )
    days = [s.starts_at.date() for s in slots]
    assert days[0] == date(2027, 1, 6) and days[-1] == date(2027, 6, 30)
    assert date(2027, 2, 17) not in days and date(2027, 2, 24) not in days
    assert date(2027, 4, 14) not in days and date(2027, 4, 21) not in days
    assert date(2027, 5, 12) not in days
    assert date(2027, 5, 5) in days and date(2027, 3, 3) in days
    assert len(days) == 26 - 4 - 1


def test_monthly_rule_repeats_the_same_weekday_of_the_month():
    start = paris(2026, 12, 12, 15, 0)  # the second Saturday of December
    rule = recurrence.simple_rule("monthly", start, until=date(2027, 3, 31))
    assert rule.startswith("FREQ=MONTHLY;BYDAY=2SA;UNTIL=")
    slots = recurrence.expand(starts_at=start, ends_at=start + timedelta(hours=2), rule=rule)
    assert [s.starts_at.date() for s in slots] == [
        date(2026, 12, 12), date(2027, 1, 9), date(2027, 2, 13), date(2027, 3, 13)
    ]  # fmt: skip


def test_until_is_written_in_utc_and_includes_the_last_local_day():
    start = paris(2026, 12, 2, 23, 30)
    rule = recurrence.weekly_rule(start, until=date(2026, 12, 16))
    assert rule == "FREQ=WEEKLY;BYDAY=WE;UNTIL=20261216T225959Z"
    slots = recurrence.expand(starts_at=start, ends_at=start + timedelta(minutes=20), rule=rule)
    assert len(slots) == 3


def test_open_ended_rule_stops_at_the_horizon_and_runaway_rules_at_the_cap():
    start = paris(2026, 12, 2, 10, 0)
    weekly = recurrence.expand(
        starts_at=start, ends_at=start + timedelta(hours=1), rule="FREQ=WEEKLY", now=start
    )
    assert weekly[-1].starts_at - start <= recurrence.OPEN_ENDED_HORIZON
    assert len(weekly) == recurrence.OPEN_ENDED_HORIZON.days // 7 + 1
    runaway = recurrence.expand(
        starts_at=start, ends_at=start, rule="FREQ=MINUTELY;COUNT=100000", now=start
    )
    assert len(runaway) == recurrence.MAX_OCCURRENCES


def test_extra_dates_join_the_rule_and_are_not_duplicated():
    start = paris(2027, 1, 16, 14, 0)
    extra = [
        (paris(2027, 1, 20, 17, 0), paris(2027, 1, 20, 19, 0)),
        (start, start + timedelta(hours=1)),
    ]
    slots = recurrence.expand(
        starts_at=start, ends_at=start + timedelta(hours=1), extra_dates=extra
    )
    assert [(s.starts_at, s.ends_at - s.starts_at) for s in slots] == [
        (start, timedelta(hours=1)),
        (paris(2027, 1, 20, 17, 0), timedelta(hours=2)),
    ]


@pytest.mark.parametrize("rule", ["FREQ=FORTNIGHTLY", "BYDAY=XX", "FREQ=WEEKLY;UNTIL=demain"])
def test_an_unreadable_rule_is_refused_in_french(rule):
    start = paris(2027, 1, 6, 10, 30)
    with pytest.raises(recurrence.RecurrenceError, match="Règle de répétition illisible"):
        recurrence.expand(starts_at=start, ends_at=start, rule=rule)


def test_a_date_across_a_clock_change_keeps_its_hours_when_read_back_in_utc():
    # An exhibition 20 October 10:00 – 5 November 18:00 (clocks go back on the 25th), as
    # the database gives it back: in UTC. Expanding it again must not move its end.
    from datetime import UTC

    start, end = paris(2026, 10, 20, 10, 0), paris(2026, 11, 5, 18, 0)
    (slot,) = recurrence.expand(starts_at=start.astimezone(UTC), ends_at=end.astimezone(UTC))
    assert slot.ends_at.astimezone(PARIS).hour == 18
    assert slot.ends_at == end
