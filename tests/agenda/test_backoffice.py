"""The agenda's back-office: an editor publishes a recurring event for their own library,
manages one date, and the registrations of their own dates only."""

import csv
import io
import json
from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from agenda import services
from agenda.models import TZ, Event, Occurrence, Registration
from agenda.wagtail_hooks import event_viewset, occurrence_viewset
from tests.factories import EventFactory


def event_form(cast, **overrides) -> dict:
    start = datetime.now(TZ).replace(hour=10, minute=30, second=0, microsecond=0) + timedelta(
        days=7
    )
    data = {
        "library": cast.library_a.pk,
        "title": "Heure du conte du mercredi",
        "summary": "Des histoires pour les 3-6 ans.",
        # What Wagtail's rich text editor (Draftail) posts: its content state, as JSON.
        "description": json.dumps(
            {
                "entityMap": {},
                "blocks": [
                    {
                        "key": "conte",
                        "type": "unstyled",
                        "depth": 0,
                        "text": "Albums et comptines.",
                        "inlineStyleRanges": [],
                        "entityRanges": [],
                    }
                ],
            }
        ),  # fmt: skip
        "category": "conte",
        "starts_at": start.strftime("%Y-%m-%d %H:%M"),
        "ends_at": (start + timedelta(minutes=45)).strftime("%Y-%m-%d %H:%M"),
        "repeat": "weekly",
        "repeat_until": (start.date() + timedelta(weeks=5)).isoformat(),
        "excluded": (start.date() + timedelta(weeks=2)).strftime("%d/%m/%Y"),
        "rrule": "",
        "site": cast.site_a.pk,
        "place_name": "",
        "place_address": "",
        "audience": "jeunesse",
        "age_min": "3",
        "age_max": "6",
        "is_free": "on",
        "price": "",
        "accessibility_notes": "",
        "organiser": "",
        "partners": "",
        "registration_required": "on",
        "capacity": "15",
        "max_places_per_registration": "4",
        "published": "on",
        "extra_dates-TOTAL_FORMS": "0",
        "extra_dates-INITIAL_FORMS": "0",
        "extra_dates-MIN_NUM_FORMS": "0",
        "extra_dates-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_an_editor_publishes_a_weekly_story_time_with_15_places(client, cast):
    client.force_login(cast.editor_a)
    response = client.post(reverse(event_viewset.get_url_name("add")), event_form(cast))
    assert response.status_code == 302, response.context["form"].errors
    event = Event.objects.get()
    assert event.rrule.startswith("FREQ=WEEKLY;BYDAY=")
    occurrences = list(event.occurrences.order_by("starts_at"))
    assert len(occurrences) == 5  # six Wednesdays, one excluded
    assert {o.capacity for o in occurrences} == {15}
    assert {o.starts_at.astimezone(TZ).strftime("%H:%M") for o in occurrences} == {"10:30"}


def test_editing_the_event_brings_its_dates_in_line(client, cast):
    client.force_login(cast.editor_a)
    client.post(reverse(event_viewset.get_url_name("add")), event_form(cast))
    event = Event.objects.get()
    response = client.post(
        reverse(event_viewset.get_url_name("edit"), args=[event.pk]),
        event_form(cast, excluded="", capacity="20"),
    )
    assert response.status_code == 302
    assert event.occurrences.count() == 6
    assert set(event.occurrences.values_list("capacity", flat=True)) == {20}


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"site": "SITE_B"}, "site", "Sélectionnez un choix valide"),
        ({"repeat": "", "rrule": "FREQ=FORTNIGHTLY"}, "rrule", "Règle de répétition illisible"),
        ({"excluded": "31/02/2027"}, "excluded", "n'est pas une date"),
        ({"capacity": ""}, "capacity", "nombre de places"),
        ({"age_min": "8", "age_max": "3"}, "age_max", "âge maximum"),
        ({"site": "", "place_name": ""}, "site", "autre lieu"),
        ({"is_free": "", "price": ""}, "price", "Indiquez le tarif"),
    ],
)
def test_event_form_refuses_what_cannot_be_published(client, cast, overrides, field, message):
    client.force_login(cast.editor_a)
    if overrides.get("site") == "SITE_B":
        overrides = {**overrides, "site": cast.site_b.pk}
    response = client.post(
        reverse(event_viewset.get_url_name("add")), event_form(cast, **overrides)
    )
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors, response.context["form"].errors
    assert not Event.objects.exists()


def test_an_editor_cannot_publish_for_another_library(client, cast):
    client.force_login(cast.editor_a)
    response = client.post(
        reverse(event_viewset.get_url_name("add")),
        event_form(cast, library=cast.library_b.pk, site=cast.site_b.pk),
    )
    assert response.status_code == 200
    assert "library" in response.context["form"].errors
    assert not Event.objects.exists()


@pytest.fixture
def dates(cast):
    """A date with registrations at each library."""
    out = {}
    for side, site in (("a", cast.site_a), ("b", cast.site_b)):
        event = EventFactory(
            library=site.library, site=site, title=f"Atelier {side}",
            registration_required=True, capacity=3, max_places_per_registration=2,
        )  # fmt: skip
        services.sync_occurrences(event)
        occurrence = event.occurrences.get()
        services.register_for_occurrence(
            occurrence.pk, name=f"Inscrit {side.upper()}", email=f"{side}@example.org", places=2
        )
        out[side] = occurrence
    return out


def registrations_url(occurrence) -> str:
    return reverse("agenda_registrations", args=[occurrence.pk])


@pytest.mark.parametrize("role", ["editor_a", "admin_a"])
def test_staff_see_registrations_of_their_own_dates_only(client, cast, dates, role):
    client.force_login(getattr(cast, role))
    assert client.get(registrations_url(dates["b"])).status_code == 404
    assert client.get(registrations_url(dates["b"]) + "?format=csv").status_code == 404
    response = client.post(registrations_url(dates["b"]), {"action": "presences", "present": []})
    assert response.status_code == 404
    page = client.get(registrations_url(dates["a"]))
    assert page.status_code == 200
    assert "Inscrit A" in page.text and "Inscrit B" not in page.text


def test_the_date_list_offers_only_the_users_events_as_filter(client, cast, dates):
    client.force_login(cast.editor_a)
    page = client.get(reverse(occurrence_viewset.get_url_name("index")))
    assert "Atelier a" in page.text and "Atelier b" not in page.text


def test_csv_export_of_a_dates_registrations(client, cast, dates):
    client.force_login(cast.editor_a)
    response = client.get(registrations_url(dates["a"]) + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Nom", "E-mail", "Téléphone", "Places"]
    assert rows[1][:5] == ["Inscrit A", "a@example.org", "", "2", "Confirmée"]


def test_staff_register_someone_by_phone_then_mark_attendance(client, cast, dates):
    client.force_login(cast.editor_a)
    url = registrations_url(dates["a"])
    response = client.post(
        url,
        {"action": "inscrire", "name": "M. Bernard", "email": "", "phone": "04 78 26 00 00",
         "places": "2", "channel": Registration.Channel.PHONE},
    )  # fmt: skip
    assert response.status_code == 302
    by_phone = Registration.objects.get(name="M. Bernard")
    assert by_phone.status == Registration.Status.WAITING  # 2 + 2 > 3 places
    assert by_phone.registered_by == cast.editor_a
    first = Registration.objects.get(name="Inscrit A")
    client.post(url, {"action": "presences", "present": [first.pk]})
    first.refresh_from_db()
    assert first.attended is True


def test_staff_registration_errors_are_shown(client, cast, dates):
    client.force_login(cast.editor_a)
    response = client.post(
        registrations_url(dates["a"]),
        {"action": "inscrire", "name": "Sans contact", "email": "", "phone": "", "places": "1",
         "channel": Registration.Channel.DESK},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Indiquez un téléphone ou un e-mail" in response.text


def test_cancelling_a_registration_from_the_back_office_promotes_the_waiting_list(
    client, cast, dates, django_capture_on_commit_callbacks
):
    occurrence = dates["a"]
    waiting = services.register_for_occurrence(
        occurrence.pk, name="Patiente", email="patiente@example.org", places=2
    )
    assert waiting.status == Registration.Status.WAITING
    client.force_login(cast.editor_a)
    first = Registration.objects.get(name="Inscrit A")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(registrations_url(occurrence), {"action": "annuler", "registration": first.pk})
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED
    assert any(m.subject.startswith("Une place s'est libérée") for m in mail.outbox)


def test_cancelling_a_date_in_the_back_office_tells_its_registrants(
    client, cast, dates, django_capture_on_commit_callbacks
):
    occurrence = dates["a"]
    client.force_login(cast.editor_a)
    data = {
        "starts_at": occurrence.starts_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M"),
        "ends_at": occurrence.ends_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M"),
        "capacity": "3",
        "cancel": "on",
        "note": "Intervenante malade.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(occurrence_viewset.get_url_name("edit"), args=[occurrence.pk]), data
        )
    assert response.status_code == 302
    occurrence.refresh_from_db()
    assert occurrence.status == Occurrence.Status.CANCELLED
    assert mail.outbox[-1].subject.startswith("Date annulée")
    assert "Intervenante malade." in mail.outbox[-1].body


def test_moving_a_date_in_the_back_office(client, cast, dates):
    occurrence = dates["a"]
    client.force_login(cast.editor_a)
    new_start = occurrence.starts_at.astimezone(TZ) + timedelta(days=1)
    response = client.post(
        reverse(occurrence_viewset.get_url_name("edit"), args=[occurrence.pk]),
        {"starts_at": new_start.strftime("%Y-%m-%d %H:%M"),
         "ends_at": (new_start + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
         "capacity": "3", "note": ""},
    )  # fmt: skip
    assert response.status_code == 302
    occurrence.refresh_from_db()
    assert occurrence.status == Occurrence.Status.MOVED
    assert occurrence.starts_at == new_start


def test_a_patron_cannot_open_the_registrations_page(client, cast, dates):
    client.force_login(cast.patron)
    response = client.get(registrations_url(dates["a"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))


def test_school_holidays_load_from_the_package(db):
    from agenda.holidays import load_school_holidays
    from agenda.models import SchoolHoliday

    created, _ = load_school_holidays("A")
    assert created > 50
    christmas = SchoolHoliday.objects.get(zone="A", start_date=date(2026, 12, 19))
    assert christmas.name == "Vacances de Noël" and christmas.end_date == date(2027, 1, 3)
    assert load_school_holidays("A") == (0, created)


def test_an_event_image_needs_its_alternative_text(client, cast):
    from wagtail.images.models import Image
    from wagtail.images.tests.utils import get_test_image_file

    image = Image.objects.create(title="Affiche", file=get_test_image_file())
    client.force_login(cast.network_admin)
    response = client.post(
        reverse(event_viewset.get_url_name("add")), event_form(cast, image=image.pk, image_alt="")
    )
    assert "Décrivez l'image" in " ".join(response.context["form"].errors["image_alt"])
    response = client.post(
        reverse(event_viewset.get_url_name("add")),
        event_form(cast, image=image.pk, image_alt="Une conteuse et des enfants sur des coussins"),
    )
    assert response.status_code == 302


@pytest.fixture
def feeds(cast):
    from connectors.models import Connector

    return {
        side: Connector.objects.create(
            library=library, name=f"Agenda {side}", driver="ical",
            settings={"base_url": "http://127.0.0.1:9/agenda.ics", "timeout": 1},
        )
        for side, library in (("a", cast.library_a), ("b", cast.library_b))
    }  # fmt: skip


def test_staff_import_their_librarys_calendar_file_and_see_the_runs(client, cast, feeds):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.agenda.test_ical import ical_text

    client.force_login(cast.admin_a)
    url = reverse("agenda_calendar_import", args=[feeds["a"].pk])
    upload = SimpleUploadedFile("agenda.ics", ical_text("Club lecture", "FREQ=WEEKLY;COUNT=3"))
    response = client.post(url, {"action": "upload", "file": upload})
    assert response.status_code == 302
    assert Event.objects.get(source_connector=feeds["a"]).title == "Club lecture"
    page = client.get(url)
    assert "Importer le flux maintenant" in page.text and "Terminée" in page.text
    # The feed's server does not answer: the run says so, nothing changes.
    client.post(url, {"action": "import"})
    assert "Import impossible" in client.get(url).text
    assert Event.objects.filter(source_connector=feeds["a"], cancelled=False).count() == 1


def test_staff_cannot_open_or_import_another_librarys_calendar(client, cast, feeds):
    client.force_login(cast.admin_a)
    url = reverse("agenda_calendar_import", args=[feeds["b"].pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "import"}).status_code == 404
    client.force_login(cast.editor_a)  # editors see their library's imports, do not run them
    own = reverse("agenda_calendar_import", args=[feeds["a"].pk])
    assert client.get(own).status_code == 200
    assert "Importer le flux maintenant" not in client.get(own).text
    assert client.post(own, {"action": "import"}).status_code in (302, 403)
    assert not feeds["a"].runs.exists()
