"""School holiday periods from the ``vacances-scolaires-france`` package (the French
ministry's calendar, one row per day and zone), turned into periods."""

from datetime import date, timedelta

from django.db import transaction

from agenda.models import SchoolHoliday


def periods(zone: str = "A") -> list[tuple[str, date, date]]:
    """Consecutive holiday days of ``zone`` with the same name, as (name, first, last)."""
    from vacances_scolaires_france import SchoolHolidayDates

    dates = SchoolHolidayDates()
    days = sorted(
        (day, row["nom_vacances"]) for day, row in dates.data.items() if row[dates.zone_key(zone)]
    )
    found: list[tuple[str, date, date]] = []
    for day, name in days:
        if found and found[-1][0] == name and found[-1][2] + timedelta(days=1) == day:
            found[-1] = (name, found[-1][1], day)
        else:
            found.append((name, day, day))
    return found


@transaction.atomic
def load_school_holidays(zone: str = "A") -> tuple[int, int]:
    created = updated = 0
    for name, first, last in periods(zone):
        _, was_created = SchoolHoliday.objects.update_or_create(
            zone=zone, start_date=first, defaults={"name": name, "end_date": last}
        )
        created += was_created
        updated += not was_created
    return created, updated
