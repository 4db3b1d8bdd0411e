"""Opening hours of a site: public holidays, dated exceptions, clock changes, texts.

Pure functions: no database. Calendar facts used below (checked with ``python -c``):
2026-12-25 is a Friday; Easter Monday 2027 is 2027-03-29; clocks go forward on Sunday
2027-03-28 at 02:00 → 03:00 and back on Sunday 2026-10-25 at 03:00 → 02:00
(Europe/Paris); 2027-07-14 is a Wednesday.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest

from network.hours import (
    TZ,
    DaySchedule,
    Interval,
    day_schedule,
    format_time,
    holiday_name,
    status_at,
    syntax_problem,
    week_schedule,
)

TUESDAY_TO_SATURDAY = "Tu-Sa 10:00-18:00"
MONDAY_TO_SATURDAY = "Mo-Sa 10:00-18:00"


@dataclass(frozen=True)
class DatedException:
    label: str
    start_date: date
    end_date: date
    opening_hours: str = ""


SUMMER = DatedException("Horaires d'été", date(2027, 7, 1), date(2027, 8, 31), "Tu-Sa 10:00-13:00")
INVENTORY = DatedException("Inventaire", date(2027, 2, 1), date(2027, 2, 6))


def paris(year, month, day, hour=0, minute=0, *, fold=0):
    return datetime(year, month, day, hour, minute, tzinfo=TZ, fold=fold)


def utc(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def hours(*spans):
    return tuple(Interval(start, end) for start, end in spans)


def test_calendar_facts_the_tests_rely_on():
    assert date(2026, 12, 25).weekday() == 4  # Friday
    assert date(2027, 3, 28).weekday() == 6  # Sunday
    assert date(2026, 10, 25).weekday() == 6  # Sunday
    assert date(2027, 7, 14).weekday() == 2  # Wednesday
    assert paris(2027, 3, 28, 1, 59).utcoffset() == timedelta(hours=1)
    assert paris(2027, 3, 28, 3, 0).utcoffset() == timedelta(hours=2)
    assert paris(2026, 10, 25, 2, 30).utcoffset() == timedelta(hours=2)
    assert paris(2026, 10, 25, 2, 30, fold=1).utcoffset() == timedelta(hours=1)


# Public holidays


def test_site_closed_on_public_holiday():
    christmas = day_schedule(MONDAY_TO_SATURDAY, [], date(2026, 12, 25))

    assert christmas.is_closed
    assert christmas.intervals == ()
    assert not christmas.is_exception


def test_site_open_the_day_before_a_public_holiday():
    christmas_eve = day_schedule(MONDAY_TO_SATURDAY, [], date(2026, 12, 24))

    assert christmas_eve.intervals == hours((time(10), time(18)))
    assert christmas_eve.note == ""


def test_site_closed_on_easter_monday():
    assert day_schedule(MONDAY_TO_SATURDAY, [], date(2027, 3, 29)).is_closed
    assert not day_schedule(MONDAY_TO_SATURDAY, [], date(2027, 3, 22)).is_closed


def test_site_keeps_the_ph_hours_when_the_expression_mentions_ph():
    expression = "Mo-Sa 10:00-18:00; PH 10:00-12:00"

    christmas = day_schedule(expression, [], date(2026, 12, 25))
    christmas_eve = day_schedule(expression, [], date(2026, 12, 24))

    assert christmas.intervals == hours((time(10), time(12)))
    assert christmas_eve.intervals == hours((time(10), time(18)))


def test_public_holiday_note_carries_the_french_holiday_name():
    assert day_schedule(MONDAY_TO_SATURDAY, [], date(2026, 12, 25)).note == "Noël"


@pytest.mark.parametrize("server_locale", ["C.UTF-8", "en_US.UTF-8", "fr_FR.UTF-8"])
def test_holiday_name_is_french_whatever_the_server_locale(monkeypatch, server_locale):
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", server_locale)

    assert holiday_name(date(2026, 12, 25)) == "Noël"
    assert holiday_name(date(2027, 7, 14)) == "Fête nationale"


def test_holiday_name_is_empty_on_an_ordinary_day():
    assert holiday_name(date(2026, 12, 24)) == ""


def test_status_on_public_holiday_points_to_the_next_opening():
    status = status_at(MONDAY_TO_SATURDAY, [], paris(2026, 12, 25, 11, 0))

    assert not status.is_open
    assert status.opens_at == paris(2026, 12, 26, 10, 0)
    assert status.text == "Fermé — ouvre demain à 10\N{NO-BREAK SPACE}h"


def test_status_on_public_holiday_is_open_during_the_ph_hours():
    status = status_at("Mo-Sa 10:00-18:00; PH 10:00-12:00", [], paris(2026, 12, 25, 11, 0))

    assert status.is_open
    assert status.closes_at == paris(2026, 12, 25, 12, 0)
    assert status.text == "Ouvert maintenant — ferme à 12\N{NO-BREAK SPACE}h"


# Dated exceptions


def test_summer_exception_replaces_the_usual_hours():
    tuesday = day_schedule(TUESDAY_TO_SATURDAY, [SUMMER], date(2027, 7, 13))

    assert tuesday.intervals == hours((time(10), time(13)))
    assert tuesday.is_exception
    assert tuesday.note == "Horaires d'été"


def test_summer_exception_covers_its_first_and_last_day_only():
    expression, exceptions = TUESDAY_TO_SATURDAY, [SUMMER]

    before = day_schedule(expression, exceptions, date(2027, 6, 30))
    first = day_schedule(expression, exceptions, date(2027, 7, 1))
    last = day_schedule(expression, exceptions, date(2027, 8, 31))
    after = day_schedule(expression, exceptions, date(2027, 9, 1))

    assert (before.intervals, before.is_exception) == (hours((time(10), time(18))), False)
    assert (first.intervals, first.is_exception) == (hours((time(10), time(13))), True)
    assert (last.intervals, last.is_exception) == (hours((time(10), time(13))), True)
    assert (after.intervals, after.is_exception) == (hours((time(10), time(18))), False)


def test_bastille_day_inside_summer_exception_is_still_closed():
    bastille_day = day_schedule(TUESDAY_TO_SATURDAY, [SUMMER], date(2027, 7, 14))

    assert bastille_day.is_closed
    assert bastille_day.is_exception


def test_status_during_summer_exception_skips_bastille_day():
    status = status_at(TUESDAY_TO_SATURDAY, [SUMMER], paris(2027, 7, 13, 14, 0))

    assert not status.is_open
    assert status.opens_at == paris(2027, 7, 15, 10, 0)
    assert status.text == "Fermé — ouvre jeudi à 10\N{NO-BREAK SPACE}h"


def test_status_during_summer_exception_closes_at_the_summer_time():
    status = status_at(TUESDAY_TO_SATURDAY, [SUMMER], paris(2027, 7, 13, 12, 59))

    assert status.is_open
    assert status.note == "Horaires d'été"
    assert status.text == "Ouvert maintenant — ferme à 13\N{NO-BREAK SPACE}h"


def test_closure_exception_closes_every_day_of_the_period():
    schedule = week_schedule(TUESDAY_TO_SATURDAY, [INVENTORY], date(2027, 2, 1))

    closure_days = schedule[:6]
    assert [day.day for day in closure_days] == [date(2027, 2, d) for d in range(1, 7)]
    assert all(day.is_closed for day in closure_days)
    assert all(day.is_exception for day in closure_days)
    assert all(day.note == "Inventaire" for day in closure_days)


def test_closure_exception_with_blank_hours_is_a_closure():
    closure = DatedException("Travaux", date(2027, 2, 2), date(2027, 2, 2), "   ")

    assert day_schedule(TUESDAY_TO_SATURDAY, [closure], date(2027, 2, 2)).is_closed


def test_status_during_closure_says_when_the_site_reopens():
    status = status_at(TUESDAY_TO_SATURDAY, [INVENTORY], paris(2027, 2, 5, 11, 0))

    assert status.known
    assert not status.is_open
    assert status.opens_at == paris(2027, 2, 9, 10, 0)
    assert status.text == "Fermé — ouvre mardi à 10\N{NO-BREAK SPACE}h"


def test_status_at_start_of_closure_gives_the_reopening_date_a_week_away():
    status = status_at(TUESDAY_TO_SATURDAY, [INVENTORY], paris(2027, 2, 1, 11, 0))

    assert status.opens_at == paris(2027, 2, 9, 10, 0)
    assert status.text == "Fermé — ouvre le 9 février à 10\N{NO-BREAK SPACE}h"


def test_status_during_long_closure_says_only_closed():
    works = DatedException("Travaux", date(2027, 2, 1), date(2027, 3, 31))

    status = status_at(TUESDAY_TO_SATURDAY, [works], paris(2027, 2, 2, 11, 0))

    assert status.known
    assert not status.is_open
    assert status.opens_at is None
    assert status.text == "Fermé"


def test_exception_hours_alone_make_the_hours_known():
    late_night = DatedException(
        "Nuit de la lecture", date(2027, 1, 23), date(2027, 1, 23), "Sa 18:00-23:00"
    )

    status = status_at("", [late_night], paris(2027, 1, 23, 19, 0))

    assert status.known
    assert status.is_open
    assert status.text == "Ouvert maintenant — ferme à 23\N{NO-BREAK SPACE}h"


# Clock changes


def test_status_just_before_spring_switch_opens_at_ten_summer_time():
    one_fifty_nine_cet = utc(2027, 3, 28, 0, 59)
    assert one_fifty_nine_cet.astimezone(TZ).time() == time(1, 59)

    status = status_at("Su 10:00-18:00", [], one_fifty_nine_cet)

    assert not status.is_open
    assert status.opens_at.astimezone(UTC) == utc(2027, 3, 28, 8, 0)
    assert status.text == "Fermé — ouvre à 10\N{NO-BREAK SPACE}h"


def test_status_at_first_minute_of_summer_time_opens_at_ten_summer_time():
    three_cest = utc(2027, 3, 28, 1, 0)
    assert three_cest.astimezone(TZ).time() == time(3, 0)

    status = status_at("Su 10:00-18:00", [], three_cest)

    assert not status.is_open
    assert status.opens_at.astimezone(UTC) == utc(2027, 3, 28, 8, 0)
    assert status.opens_at - three_cest == timedelta(hours=7)
    assert status.text == "Fermé — ouvre à 10\N{NO-BREAK SPACE}h"


def test_status_on_spring_switch_night_skips_easter_monday():
    status = status_at(MONDAY_TO_SATURDAY, [], utc(2027, 3, 28, 1, 0))

    assert status.opens_at.astimezone(UTC) == utc(2027, 3, 30, 8, 0)
    assert status.text == "Fermé — ouvre mardi à 10\N{NO-BREAK SPACE}h"


def test_site_open_all_day_has_one_interval_on_the_spring_switch_night():
    schedule = day_schedule("Mo-Su 00:00-24:00", [], date(2027, 3, 28))

    assert schedule.intervals == hours((time(0), time(0)))
    assert str(schedule.intervals[0]) == "0\N{NO-BREAK SPACE}h – minuit"


@pytest.mark.parametrize(
    "now",
    [utc(2027, 3, 28, 0, 59), utc(2027, 3, 28, 1, 0)],
    ids=["01:59 CET", "03:00 CEST"],
)
def test_site_open_all_day_is_open_on_both_sides_of_the_spring_switch(now):
    status = status_at("Su 00:00-24:00", [], now)

    assert status.is_open
    assert status.closes_at.astimezone(UTC) == utc(2027, 3, 28, 22, 0)
    assert status.text == "Ouvert maintenant — ferme à minuit"


def test_site_opening_at_midnight_opens_at_the_start_of_that_day():
    saturday_evening = paris(2027, 3, 27, 20, 0)

    status = status_at("Su 00:00-24:00", [], saturday_evening)

    assert not status.is_open
    assert status.opens_at.astimezone(UTC) == utc(2027, 3, 27, 23, 0)
    assert status.text == "Fermé — ouvre demain à 0\N{NO-BREAK SPACE}h"


def test_site_open_all_day_has_one_interval_on_the_autumn_switch_night():
    schedule = day_schedule("Mo-Su 00:00-24:00", [], date(2026, 10, 25))

    assert schedule.intervals == hours((time(0), time(0)))


def test_status_in_the_repeated_hour_of_the_autumn_switch():
    second_two_thirty = paris(2026, 10, 25, 2, 30, fold=1)
    assert second_two_thirty.astimezone(UTC) == utc(2026, 10, 25, 1, 30)

    status = status_at(MONDAY_TO_SATURDAY, [], second_two_thirty)

    assert not status.is_open
    assert status.opens_at.astimezone(UTC) == utc(2026, 10, 26, 9, 0)
    assert status.text == "Fermé — ouvre demain à 10\N{NO-BREAK SPACE}h"


def test_status_the_day_after_the_autumn_switch_uses_winter_time():
    before_opening = status_at(MONDAY_TO_SATURDAY, [], utc(2026, 10, 26, 8, 59))
    at_opening = status_at(MONDAY_TO_SATURDAY, [], utc(2026, 10, 26, 9, 0))

    assert not before_opening.is_open
    assert before_opening.opens_at.astimezone(UTC) == utc(2026, 10, 26, 9, 0)
    assert before_opening.text == "Fermé — ouvre à 10\N{NO-BREAK SPACE}h"
    assert at_opening.is_open
    assert at_opening.closes_at.astimezone(UTC) == utc(2026, 10, 26, 17, 0)
    assert at_opening.text == "Ouvert maintenant — ferme à 18\N{NO-BREAK SPACE}h"


# Open now, at the minute of opening and closing (Tuesday 2026-06-09)


def test_site_open_the_minute_before_closing():
    status = status_at(TUESDAY_TO_SATURDAY, [], paris(2026, 6, 9, 17, 59))

    assert status.is_open
    assert status.closes_at == paris(2026, 6, 9, 18, 0)
    assert status.text == "Ouvert maintenant — ferme à 18\N{NO-BREAK SPACE}h"


def test_site_closed_at_the_closing_minute():
    status = status_at(TUESDAY_TO_SATURDAY, [], paris(2026, 6, 9, 18, 0))

    assert not status.is_open
    assert status.opens_at == paris(2026, 6, 10, 10, 0)
    assert status.text == "Fermé — ouvre demain à 10\N{NO-BREAK SPACE}h"


def test_site_open_at_the_opening_minute():
    status = status_at(TUESDAY_TO_SATURDAY, [], paris(2026, 6, 9, 10, 0))

    assert status.is_open
    assert status.text == "Ouvert maintenant — ferme à 18\N{NO-BREAK SPACE}h"


def test_site_closed_the_minute_before_opening():
    status = status_at(TUESDAY_TO_SATURDAY, [], paris(2026, 6, 9, 9, 59))

    assert not status.is_open
    assert status.opens_at == paris(2026, 6, 9, 10, 0)
    assert status.text == "Fermé — ouvre à 10\N{NO-BREAK SPACE}h"


def test_status_accepts_a_moment_in_another_timezone():
    status = status_at(TUESDAY_TO_SATURDAY, [], utc(2026, 6, 9, 15, 59))

    assert status.is_open
    assert status.text == "Ouvert maintenant — ferme à 18\N{NO-BREAK SPACE}h"


# Texts


def test_closed_text_says_tomorrow_when_opening_tomorrow():
    monday_noon = paris(2026, 6, 8, 12, 0)

    assert (
        status_at(TUESDAY_TO_SATURDAY, [], monday_noon).text
        == "Fermé — ouvre demain à 10\N{NO-BREAK SPACE}h"
    )


def test_closed_text_names_the_weekday_when_opening_later_this_week():
    saturday_evening = paris(2026, 6, 13, 19, 0)

    status = status_at(TUESDAY_TO_SATURDAY, [], saturday_evening)

    assert status.opens_at == paris(2026, 6, 16, 10, 0)
    assert status.text == "Fermé — ouvre mardi à 10\N{NO-BREAK SPACE}h"


def test_open_text_gives_minutes_of_the_closing_time():
    status = status_at("Tu-Sa 10:00-12:30,14:00-18:00", [], paris(2026, 6, 9, 11, 0))

    assert status.text == "Ouvert maintenant — ferme à 12\N{NO-BREAK SPACE}h\N{NO-BREAK SPACE}30"


def test_closed_text_during_lunch_break_gives_the_afternoon_opening():
    status = status_at("Tu-Sa 10:00-12:30,14:00-18:00", [], paris(2026, 6, 9, 13, 0))

    assert status.opens_at == paris(2026, 6, 9, 14, 0)
    assert status.text == "Fermé — ouvre à 14\N{NO-BREAK SPACE}h"


def test_closed_text_gives_minutes_of_the_opening_time():
    status = status_at("Tu-Sa 10:30-18:00", [], paris(2026, 6, 8, 12, 0))

    assert status.text == "Fermé — ouvre demain à 10\N{NO-BREAK SPACE}h\N{NO-BREAK SPACE}30"


def test_open_text_says_midnight_for_an_interval_ending_at_24_00():
    friday_night = paris(2026, 6, 12, 22, 0)

    status = status_at("Fr 20:00-24:00", [], friday_night)

    assert status.is_open
    assert status.closes_at == paris(2026, 6, 13, 0, 0)
    assert status.text == "Ouvert maintenant — ferme à minuit"


def test_site_open_until_midnight_is_open_at_23_59():
    assert status_at("Fr 20:00-24:00", [], paris(2026, 6, 12, 23, 59)).is_open


def test_interval_ending_at_24_00_reads_midnight():
    schedule = day_schedule("Fr 20:00-24:00", [], date(2026, 6, 12))

    assert schedule.intervals == hours((time(20), time(0)))
    assert str(schedule.intervals[0]) == "20\N{NO-BREAK SPACE}h – minuit"


def test_site_open_past_midnight_says_when_it_really_closes():
    friday_late = paris(2026, 6, 12, 23, 0)

    status = status_at("Fr 20:00-02:00", [], friday_late)

    assert status.is_open
    assert status.closes_at == paris(2026, 6, 13, 2, 0)


def test_site_open_past_midnight_is_still_open_after_midnight():
    saturday_early = paris(2026, 6, 13, 1, 0)

    status = status_at("Fr 20:00-02:00", [], saturday_early)

    assert status.is_open
    assert status.closes_at == paris(2026, 6, 13, 2, 0)
    assert status.text == "Ouvert maintenant — ferme à 2\N{NO-BREAK SPACE}h"


@pytest.mark.parametrize("expression", ["", "   "])
def test_site_without_hours_says_hours_unknown(expression):
    status = status_at(expression, [], paris(2026, 6, 9, 11, 0))

    assert not status.known
    assert not status.is_open
    assert status.text == "Horaires non renseignés"


def test_site_with_only_a_closure_exception_says_hours_unknown():
    status = status_at("", [INVENTORY], paris(2027, 2, 2, 11, 0))

    assert status.text == "Horaires non renseignés"


@pytest.mark.parametrize(
    ("value", "end", "expected"),
    [
        (time(9, 0), False, "9\N{NO-BREAK SPACE}h"),
        (time(12, 30), False, "12\N{NO-BREAK SPACE}h\N{NO-BREAK SPACE}30"),
        (time(10, 5), False, "10\N{NO-BREAK SPACE}h\N{NO-BREAK SPACE}05"),
        (time(0, 0), False, "0\N{NO-BREAK SPACE}h"),
        (time(0, 0), True, "minuit"),
        (time(18, 0), True, "18\N{NO-BREAK SPACE}h"),
    ],
    ids=["hour", "half past", "five past", "midnight start", "midnight end", "hour end"],
)
def test_format_time_reads_like_a_french_door_sign(value, end, expected):
    assert format_time(value, end=end) == expected


def test_interval_reads_start_and_end():
    assert (
        str(Interval(time(10), time(12, 30)))
        == "10\N{NO-BREAK SPACE}h – 12\N{NO-BREAK SPACE}h\N{NO-BREAK SPACE}30"
    )


def test_day_schedule_names_the_day_in_french():
    assert DaySchedule(date(2026, 12, 25), ()).day_name == "vendredi"
    assert DaySchedule(date(2027, 3, 28), ()).day_name == "dimanche"


# Syntax check


@pytest.mark.parametrize(
    "expression",
    [
        "Tu-Fr 10:00-18:00; Sa 10:00-17:00",
        "Mo-Sa 10:00-18:00; PH 10:00-12:00",
        "Tu-Sa 10:00-12:30,14:00-18:00;",
        "24/7",
        "",
        "   ",
    ],
)
def test_syntax_problem_is_none_for_valid_or_empty_hours(expression):
    assert syntax_problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "position"),
    [("Mo-Sa 25:00", 7), ("lundi 10h-12h", 1)],
)
def test_syntax_problem_explains_unreadable_hours_in_french(expression, position):
    message = syntax_problem(expression)

    assert message is not None
    assert "Horaires illisibles" in message
    assert "Tu-Fr 10:00-18:00; Sa 10:00-17:00" in message
    assert f"Erreur vers le caractère {position}." in message


# Week schedule


def test_week_schedule_gives_seven_days_from_the_given_date():
    wednesday = date(2026, 6, 10)

    schedule = week_schedule(TUESDAY_TO_SATURDAY, [], wednesday)

    assert [day.day for day in schedule] == [wednesday + timedelta(days=n) for n in range(7)]
    assert [day.day_name for day in schedule] == [
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
        "lundi",
        "mardi",
    ]
    assert [day.is_closed for day in schedule] == [False, False, False, False, True, True, False]


def test_week_schedule_flags_the_days_of_an_exception():
    schedule = week_schedule(TUESDAY_TO_SATURDAY, [SUMMER], date(2027, 6, 29))

    assert [day.is_exception for day in schedule] == [False, False, True, True, True, True, True]
    assert [day.note for day in schedule[2:]] == ["Horaires d'été"] * 5
    assert schedule[0].intervals == hours((time(10), time(18)))
    assert schedule[2].intervals == hours((time(10), time(13)))


def test_week_schedule_accepts_another_number_of_days():
    schedule = week_schedule(TUESDAY_TO_SATURDAY, [], date(2026, 6, 10), days=3)

    assert [day.day for day in schedule] == [
        date(2026, 6, 10),
        date(2026, 6, 11),
        date(2026, 6, 12),
    ]


def test_week_schedule_without_hours_is_closed_every_day():
    schedule = week_schedule("", [], date(2026, 6, 10))

    assert len(schedule) == 7
    assert all(day.is_closed and not day.is_exception for day in schedule)
