"""Registrations: places, the waiting list, e-mailed links, erasure after the event."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.links import LinkError
from agenda import services
from agenda.models import Occurrence, Registration
from tests.factories import EventFactory


@pytest.fixture
def story_time(cast):
    """A weekly story time with 15 places per date, families up to 4 places."""
    event = EventFactory(
        library=cast.library_a,
        site=cast.site_a,
        registration_required=True,
        capacity=15,
        max_places_per_registration=4,
        rrule="FREQ=WEEKLY;COUNT=4",
    )
    services.sync_occurrences(event)
    return event


def first(event) -> Occurrence:
    return event.occurrences.order_by("starts_at").first()


@pytest.fixture
def register(committed):
    def register(occurrence, n, places=1, **kwargs):
        return committed(
            services.register_for_occurrence,
            occurrence.pk,
            name=f"Parent {n}",
            email=f"parent{n}@example.org",
            places=places,
            **kwargs,
        )

    return register


def test_the_sixteenth_person_waits_and_gets_the_place_when_someone_cancels(
    register, committed, story_time
):
    occurrence = first(story_time)
    registrations = [register(occurrence, n) for n in range(15)]
    assert {r.status for r in registrations} == {Registration.Status.CONFIRMED}
    sixteenth = register(occurrence, 15)
    assert sixteenth.status == Registration.Status.WAITING
    assert "liste d'attente" in mail.outbox[-1].subject.lower()

    mail.outbox.clear()
    committed(services.cancel_registration, registrations[3])
    sixteenth.refresh_from_db()
    occurrence.refresh_from_db()
    assert sixteenth.status == Registration.Status.CONFIRMED
    assert sixteenth.promoted_at is not None
    assert occurrence.confirmed_places == 15
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects["parent15@example.org"].startswith("Une place s'est libérée")
    assert subjects["parent3@example.org"].startswith("Inscription annulée")


def test_a_family_that_does_not_fit_waits_while_a_smaller_request_behind_it_gets_the_place(
    register,
    story_time,
):
    occurrence = first(story_time)
    big = [register(occurrence, n, places=4) for n in range(3)] + [
        register(occurrence, 3, places=3)
    ]
    assert sum(r.places for r in big) == 15
    family = register(occurrence, 10, places=3)
    single = register(occurrence, 11, places=1)
    assert family.status == single.status == Registration.Status.WAITING
    services.cancel_registration(big[0])  # 4 places free: the family (3), then the single (1)
    family.refresh_from_db()
    single.refresh_from_db()
    assert family.status == single.status == Registration.Status.CONFIRMED
    services.cancel_registration(big[3])  # 3 free, nobody waiting
    occurrence.refresh_from_db()
    assert occurrence.places_left == 3


def test_places_per_registration_are_capped_by_the_event(register, story_time):
    with pytest.raises(services.RegistrationError, match="de 1 à 4 places"):
        register(first(story_time), 1, places=5)


def test_same_email_twice_on_one_date_is_refused(register, story_time):
    occurrence = first(story_time)
    register(occurrence, 1)
    with pytest.raises(services.RegistrationError, match="déjà inscrite"):
        services.register_for_occurrence(occurrence.pk, name="Autre", email="PARENT1@example.org")


def test_online_registration_needs_an_email_but_staff_register_by_phone(cast, story_time):
    occurrence = first(story_time)
    with pytest.raises(services.RegistrationError, match="adresse e-mail"):
        services.register_for_occurrence(occurrence.pk, name="Sans e-mail")
    registration = services.register_for_occurrence(
        occurrence.pk,
        name="Mme Durand",
        phone="04 78 00 00 00",
        places=2,
        actor=cast.editor_a,
        channel=Registration.Channel.PHONE,
    )
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.registered_by == cast.editor_a
    assert mail.outbox == []


def test_cancelled_past_and_free_entry_dates_take_no_registration(register, cast, story_time):
    occurrence = first(story_time)
    services.cancel_occurrence(occurrence, actor=cast.editor_a)
    with pytest.raises(services.RegistrationError, match="annulée"):
        register(occurrence, 1)
    later = story_time.occurrences.order_by("starts_at")[1]
    with pytest.raises(services.RegistrationError, match="passée"):
        register(later, 1, now=later.starts_at + timedelta(minutes=1))
    free_entry = EventFactory(library=cast.library_a, site=cast.site_a)
    services.sync_occurrences(free_entry)
    with pytest.raises(services.RegistrationError, match="accès libre"):
        register(first(free_entry), 1)


def test_the_database_refuses_more_confirmed_places_than_capacity(story_time):
    occurrence = first(story_time)
    with pytest.raises(IntegrityError), transaction.atomic():
        Occurrence.objects.filter(pk=occurrence.pk).update(confirmed_places=16)


def test_the_link_in_the_email_cancels_and_a_tampered_or_late_link_does_not(register, story_time):
    occurrence = first(story_time)
    registration = register(occurrence, 1)
    token = services.registration_token(registration)
    assert token in mail.outbox[0].body
    assert services.registration_from_token(token) == registration
    with pytest.raises(LinkError, match="pas valide"):
        services.registration_from_token(token[:-2] + ("A" if token[-1] != "A" else "B") + "x")
    with pytest.raises(LinkError, match="passée"):
        services.registration_from_token(token, now=occurrence.ends_at + timedelta(seconds=1))


def test_cancelling_a_date_tells_its_registrants(register, committed, cast, story_time):
    occurrence = first(story_time)
    register(occurrence, 1)
    mail.outbox.clear()
    committed(
        services.cancel_occurrence,
        occurrence,
        actor=cast.editor_a,
        note="L'intervenante est malade.",
    )
    assert mail.outbox[0].subject.startswith("Date annulée")
    assert "L'intervenante est malade." in mail.outbox[0].body


def test_moving_a_date_keeps_its_registrations_and_survives_a_new_expansion(
    register, committed, cast, story_time
):
    occurrence = first(story_time)
    registration = register(occurrence, 1)
    new_start = occurrence.starts_at + timedelta(days=1, hours=4)
    committed(
        services.move_occurrence,
        occurrence,
        starts_at=new_start,
        ends_at=new_start + timedelta(hours=1),
        actor=cast.editor_a,
    )
    story_time.title = "Heure du conte d'hiver"
    services.save_event(story_time)
    occurrence.refresh_from_db()
    assert occurrence.status == Occurrence.Status.MOVED
    assert occurrence.starts_at == new_start
    assert occurrence.registrations.get() == registration
    assert "Changement d'horaire" in mail.outbox[-1].subject


def test_shortening_the_rule_deletes_empty_dates_and_cancels_dates_with_registrants(
    register, story_time
):
    occurrences = list(story_time.occurrences.order_by("starts_at"))
    register(occurrences[3], 1)
    story_time.rrule = "FREQ=WEEKLY;COUNT=2"
    result = services.save_event(story_time)
    assert (result.deleted, result.cancelled) == (1, 1)
    remaining = list(story_time.occurrences.order_by("starts_at"))
    assert [o.status for o in remaining] == [
        Occurrence.Status.SCHEDULED, Occurrence.Status.SCHEDULED, Occurrence.Status.CANCELLED
    ]  # fmt: skip


def test_a_cancelled_series_cancels_every_date(story_time):
    story_time.cancelled = True
    services.save_event(story_time)
    assert set(story_time.occurrences.values_list("status", flat=True)) == {
        Occurrence.Status.CANCELLED
    }


def test_capacity_cannot_go_below_places_given_and_a_bigger_one_promotes(
    register, cast, story_time
):
    occurrence = first(story_time)
    for n in range(4):
        register(occurrence, n, places=4)
    waiting = Registration.objects.filter(status=Registration.Status.WAITING).get()
    with pytest.raises(services.RegistrationError, match="déjà réservées"):
        services.set_capacity(occurrence, 10, actor=cast.editor_a)
    services.set_capacity(occurrence, 20, actor=cast.editor_a)
    waiting.refresh_from_db()
    assert waiting.status == Registration.Status.CONFIRMED
    # The series' own capacity no longer applies to that date.
    story_time.capacity = 12
    services.save_event(story_time)
    occurrence.refresh_from_db()
    assert occurrence.capacity == 20


def test_registrants_are_erased_after_the_retention_period_counts_stay(register, cast, story_time):
    occurrence = first(story_time)
    registration = register(occurrence, 1, places=3)
    services.set_attendance(occurrence, [registration.pk], actor=cast.editor_a)
    assert services.erase_past_registrations(now=occurrence.ends_at + timedelta(days=6)) == 0
    assert services.erase_past_registrations(now=occurrence.ends_at + timedelta(days=8)) == 1
    registration.refresh_from_db()
    assert (registration.name, registration.email, registration.phone) == ("", "", "")
    assert registration.places == 3 and registration.attended is True
    assert registration.erased_at is not None
    with pytest.raises(LinkError):
        services.registration_from_token(
            services.registration_token(registration), now=timezone.now()
        )
