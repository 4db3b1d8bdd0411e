"""Writes to the agenda: an event's dates, registrations and the waiting list.

Places are counted by the database. Every change to an occurrence's confirmed places
happens inside a transaction that holds the occurrence's row lock (``SELECT … FOR
UPDATE``), and ``Occurrence.confirmed_places <= capacity`` is a check constraint: two
patrons clicking at once on the last place cannot both get it, whichever web process
serves them. E-mails leave only after the transaction commits.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts import links
from agenda import recurrence
from agenda.models import TZ, Event, Occurrence, Registration, SchoolHoliday

log = logging.getLogger(__name__)

LINK_SALT = "agenda.registration"
# The link works while the event is ahead; signatures older than this are refused anyway.
TOKEN_MAX_DAYS = 800
PASSED = "Cette date est passée : l'inscription ne peut plus être modifiée."


class RegistrationError(Exception):
    """A registration the rules refuse; ``message`` is French, for the person registering."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ----------------------------------------------------------------- dates


def school_holidays(zone: str = "A") -> list[tuple[date, date]]:
    return list(SchoolHoliday.objects.filter(zone=zone).values_list("start_date", "end_date"))


def schedule_of(event: Event, now: datetime | None = None) -> list[recurrence.Slot]:
    """The dates the event's schedule gives (:func:`agenda.recurrence.expand`)."""
    return recurrence.expand(
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        rule=event.rrule,
        extra_dates=[(d.starts_at, d.ends_at) for d in event.extra_dates.all()],
        excluded_dates=[date.fromisoformat(d) for d in event.excluded_dates],
        holidays=school_holidays() if event.skip_school_holidays else (),
        now=now or timezone.now(),
    )


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    cancelled: int = 0


@transaction.atomic
def sync_occurrences(
    event: Event,
    slots: Iterable[recurrence.Slot] | None = None,
    *,
    overrides: dict[datetime, tuple[str, datetime, datetime]] | None = None,
    now: datetime | None = None,
) -> SyncResult:
    """Make the event's occurrences match its schedule.

    ``slots`` defaults to :func:`schedule_of`; an iCalendar import passes its own.
    Occurrences are matched on ``original_start``: a date the schedule still gives keeps
    its registrations, its status and its own places; a new date is created; a date the
    schedule no longer gives is deleted if nobody registered, cancelled (and its
    registrants told) otherwise. ``overrides`` (by original start) set a date's status and
    times, as a feed's RECURRENCE-ID instances do. A cancelled series cancels every date.
    """
    now = now or timezone.now()
    slots = list(schedule_of(event, now) if slots is None else slots)
    overrides = overrides or {}
    wanted = {slot.original_start: slot for slot in slots}
    existing = {o.original_start: o for o in event.occurrences.select_for_update()}
    result = SyncResult()
    for original_start, slot in wanted.items():
        occurrence = existing.pop(original_start, None)
        status, starts_at, ends_at = overrides.get(
            original_start, (None, slot.starts_at, slot.ends_at)
        )
        if occurrence is None:
            occurrence = Occurrence(
                event=event,
                original_start=original_start,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=event.capacity if event.registration_required else None,
                status=status or Occurrence.Status.SCHEDULED,
            )
            if event.cancelled:
                occurrence.status = Occurrence.Status.CANCELLED
            occurrence.save()
            result.created += 1
            continue
        changed = _refresh(occurrence, event, status, starts_at, ends_at)
        if changed:
            occurrence.save()
            result.updated += 1
    for occurrence in existing.values():
        if occurrence.starts_at < now:
            continue  # the past is history: a shortened rule does not rewrite it
        if occurrence.registrations.exclude(status=Registration.Status.CANCELLED).exists():
            if occurrence.status != Occurrence.Status.CANCELLED:
                _cancel(occurrence, note="Cette date a été retirée du programme.")
                result.cancelled += 1
        else:
            occurrence.delete()
            result.deleted += 1
    return result


def _refresh(occurrence, event, status, starts_at, ends_at) -> bool:
    before = (occurrence.starts_at, occurrence.ends_at, occurrence.status, occurrence.capacity)
    if status is not None:
        # The feed says how this date stands (a RECURRENCE-ID instance, a cancelled one).
        occurrence.status = status
        occurrence.starts_at, occurrence.ends_at = starts_at, ends_at
    elif occurrence.status != Occurrence.Status.MOVED:
        occurrence.starts_at, occurrence.ends_at = starts_at, ends_at
    if event.cancelled and occurrence.status != Occurrence.Status.CANCELLED:
        _cancel(occurrence, note="Cet événement est annulé.", save=False)
    if not occurrence.capacity_is_custom:
        wanted = event.capacity if event.registration_required else None
        # Never below the places already given: the series' new size applies to the rest.
        if wanted is not None:
            wanted = max(wanted, occurrence.confirmed_places)
        occurrence.capacity = wanted
    after = (occurrence.starts_at, occurrence.ends_at, occurrence.status, occurrence.capacity)
    return before != after


def save_event(event: Event, *, actor=None) -> SyncResult:
    """Save an event edited in the back-office and bring its dates in line."""
    with transaction.atomic():
        event.save()
        result = sync_occurrences(event)
    log.info("event %s saved by user %s: %s", event.pk, getattr(actor, "pk", None), result)
    return result


def refresh_open_ended_events(now: datetime | None = None) -> int:
    """Extend the dates of rules without an end (run nightly); returns dates created."""
    created = 0
    for event in Event.objects.exclude(rrule="").filter(source_connector__isnull=True):
        if "UNTIL=" in event.rrule.upper() or "COUNT=" in event.rrule.upper():
            continue
        created += sync_occurrences(event, now=now).created
    return created


# ----------------------------------------------------- occurrences, one by one


@transaction.atomic
def cancel_occurrence(occurrence: Occurrence, *, actor, note: str = "") -> Occurrence:
    """Cancel one date; its registrants are told by e-mail."""
    occurrence = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    _cancel(occurrence, note=note or "Cette date est annulée.")
    log.info("occurrence %s cancelled by user %s", occurrence.pk, actor.pk)
    return occurrence


def _cancel(occurrence: Occurrence, *, note: str, save: bool = True) -> None:
    occurrence.status = Occurrence.Status.CANCELLED
    occurrence.note = occurrence.note or note
    if save:
        occurrence.save(update_fields=["status", "note"])
    registrants = list(
        occurrence.registrations.exclude(status=Registration.Status.CANCELLED).exclude(email="")
    )
    transaction.on_commit(
        lambda: [_mail(r, "agenda/email/occurrence_cancelled.txt", occurrence) for r in registrants]
    )


@transaction.atomic
def move_occurrence(
    occurrence: Occurrence, *, starts_at: datetime, ends_at: datetime, actor, note: str = ""
) -> Occurrence:
    """Move one date to another time; its registrants keep their places and are told."""
    if ends_at < starts_at:
        raise RegistrationError("La fin doit suivre le début.")
    occurrence = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    occurrence.starts_at, occurrence.ends_at = starts_at, ends_at
    occurrence.status = Occurrence.Status.MOVED
    occurrence.note = note
    occurrence.save(update_fields=["starts_at", "ends_at", "status", "note"])
    registrants = list(
        occurrence.registrations.exclude(status=Registration.Status.CANCELLED).exclude(email="")
    )
    transaction.on_commit(
        lambda: [_mail(r, "agenda/email/occurrence_moved.txt", occurrence) for r in registrants]
    )
    log.info("occurrence %s moved by user %s", occurrence.pk, actor.pk)
    return occurrence


@transaction.atomic
def set_capacity(occurrence: Occurrence, capacity: int, *, actor) -> Occurrence:
    """Change the places of one date; never below the places already given. Places freed
    go to the waiting list."""
    occurrence = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    if capacity < occurrence.confirmed_places:
        raise RegistrationError(
            f"{occurrence.confirmed_places} places sont déjà réservées : "
            "annulez des inscriptions avant de réduire la jauge."
        )
    occurrence.capacity = capacity
    occurrence.capacity_is_custom = True
    occurrence.save(update_fields=["capacity", "capacity_is_custom"])
    _promote(occurrence)
    log.info("occurrence %s capacity set to %s by user %s", occurrence.pk, capacity, actor.pk)
    return occurrence


# ----------------------------------------------------------------- registrations


def register_for_occurrence(
    occurrence_id: int,
    *,
    name: str,
    email: str = "",
    phone: str = "",
    places: int = 1,
    user=None,
    actor=None,
    channel: str = Registration.Channel.ONLINE,
    now: datetime | None = None,
) -> Registration:
    """Register someone for a date: confirmed if the places are there, on the waiting list
    otherwise. ``actor`` is a member of staff registering someone at the desk or on the
    phone (no e-mail needed then). Raises :class:`RegistrationError`."""
    now = now or timezone.now()
    name, email, phone = name.strip(), email.strip().lower(), phone.strip()
    if not name:
        raise RegistrationError("Indiquez un nom.")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise RegistrationError("Cette adresse e-mail n'est pas valide.") from None
    elif actor is None:
        raise RegistrationError("Indiquez une adresse e-mail : la confirmation y est envoyée.")
    elif not phone:
        raise RegistrationError("Indiquez un téléphone ou un e-mail pour prévenir la personne.")
    with transaction.atomic():
        occurrence = (
            Occurrence.objects.select_for_update()
            .select_related("event")
            .filter(pk=occurrence_id)
            .first()
        )
        if occurrence is None:
            raise RegistrationError("Cette date n'existe pas.")
        _check_open(occurrence, places, now)
        if (
            email
            and occurrence.registrations.filter(email=email)
            .exclude(status=Registration.Status.CANCELLED)
            .exists()
        ):
            raise RegistrationError(
                "Cette adresse e-mail est déjà inscrite à cette date : "
                "le lien reçu par e-mail permet de modifier l'inscription."
            )
        fits = occurrence.confirmed_places + places <= occurrence.capacity
        registration = Registration.objects.create(
            occurrence=occurrence,
            name=name,
            email=email,
            phone=phone,
            places=places,
            status=Registration.Status.CONFIRMED if fits else Registration.Status.WAITING,
            channel=channel,
            user=user if user is not None and user.is_authenticated else None,
            registered_by=actor,
        )
        if fits:
            Occurrence.objects.filter(pk=occurrence.pk).update(
                confirmed_places=F("confirmed_places") + places
            )
        if email:
            template = "agenda/email/confirmed.txt" if fits else "agenda/email/waiting.txt"
            transaction.on_commit(lambda: _mail(registration, template, occurrence))
    log.info(
        "registration %s for occurrence %s: %s, %s place(s)",
        registration.pk, occurrence.pk, registration.status, places,
    )  # fmt: skip
    return registration


def _check_open(occurrence: Occurrence, places: int, now: datetime) -> None:
    event = occurrence.event
    if not event.registration_required or occurrence.capacity is None:
        raise RegistrationError("Cet événement est en accès libre, sans inscription.")
    if not event.published:
        raise RegistrationError("Cette date n'existe pas.")
    if occurrence.is_cancelled:
        raise RegistrationError("Cette date est annulée.")
    if occurrence.starts_at <= now:
        raise RegistrationError(
            "Cette date est passée ou a commencé : les inscriptions sont closes."
        )
    limit = event.max_places_per_registration
    if places < 1 or places > limit:
        raise RegistrationError(
            f"Une inscription compte de 1 à {limit} place{'s' if limit > 1 else ''}."
        )


def cancel_registration(registration: Registration, *, actor=None) -> Registration:
    """Cancel a registration (from its e-mailed link or by staff). Places freed go to the
    first people of the waiting list whose request fits, who are told by e-mail."""
    with transaction.atomic():
        occurrence = Occurrence.objects.select_for_update().get(pk=registration.occurrence_id)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == Registration.Status.CANCELLED:
            return registration
        was_confirmed = registration.status == Registration.Status.CONFIRMED
        registration.status = Registration.Status.CANCELLED
        registration.cancelled_at = timezone.now()
        registration.save(update_fields=["status", "cancelled_at"])
        if was_confirmed:
            Occurrence.objects.filter(pk=occurrence.pk).update(
                confirmed_places=F("confirmed_places") - registration.places
            )
            occurrence.refresh_from_db(fields=["confirmed_places"])
            _promote(occurrence)
        if registration.email:
            transaction.on_commit(
                lambda: _mail(registration, "agenda/email/cancelled.txt", occurrence)
            )
    log.info(
        "registration %s cancelled by %s", registration.pk,
        f"user {actor.pk}" if actor else "its link",
    )  # fmt: skip
    return registration


def _promote(occurrence: Occurrence) -> list[Registration]:
    """Confirm waiting registrations in their order of arrival while places remain; a
    request larger than the places left waits and the next ones that fit go first.
    The caller holds the occurrence's row lock."""
    if occurrence.capacity is None or occurrence.is_cancelled:
        return []
    left = occurrence.capacity - occurrence.confirmed_places
    promoted = []
    waiting = occurrence.registrations.select_for_update().filter(
        status=Registration.Status.WAITING
    )
    for registration in waiting.order_by("created_at", "pk"):
        if left <= 0:
            break
        if registration.places > left:
            continue
        registration.status = Registration.Status.CONFIRMED
        registration.promoted_at = timezone.now()
        registration.save(update_fields=["status", "promoted_at"])
        left -= registration.places
        promoted.append(registration)
    if promoted:
        Occurrence.objects.filter(pk=occurrence.pk).update(
            confirmed_places=F("confirmed_places") + sum(r.places for r in promoted)
        )
        occurrence.refresh_from_db(fields=["confirmed_places"])
        for registration in promoted:
            if registration.email:
                transaction.on_commit(
                    lambda r=registration: _mail(r, "agenda/email/promoted.txt", occurrence)
                )
    return promoted


@transaction.atomic
def set_attendance(occurrence: Occurrence, present_ids: Iterable[int], *, actor) -> int:
    """Mark who came among the confirmed registrations of a date; returns how many came."""
    present = set(present_ids)
    confirmed = occurrence.registrations.filter(status=Registration.Status.CONFIRMED)
    confirmed.filter(pk__in=present).update(attended=True)
    confirmed.exclude(pk__in=present).update(attended=False)
    log.info("attendance of occurrence %s marked by user %s", occurrence.pk, actor.pk)
    return confirmed.filter(pk__in=present).count()


def erase_past_registrations(now: datetime | None = None) -> int:
    """Erase who registered (name, e-mail, phone) once a date is over by the network's
    retention period; places, channel and attendance stay for the statistics."""
    from accounts.models import NetworkPatronSettings

    now = now or timezone.now()
    days = NetworkPatronSettings.load().event_registration_retention_days
    return (
        Registration.objects.filter(
            erased_at__isnull=True, occurrence__ends_at__lt=now - timedelta(days=days)
        )
        .filter(~Q(name="") | ~Q(email="") | ~Q(phone=""))
        .update(name="", email="", phone="", user=None, erased_at=now)
    )


# ----------------------------------------------------------------- links and mail


def registration_token(registration: Registration) -> str:
    return links.sign({"k": str(registration.key)}, salt=LINK_SALT)


def registration_from_token(token: str, now: datetime | None = None) -> Registration:
    """The registration an e-mailed link points to; :class:`accounts.links.LinkError`
    when the link is forged or cut, when the registration is gone, or once the date is
    over."""
    payload = links.unsign(token, salt=LINK_SALT, days=TOKEN_MAX_DAYS, expired=PASSED)
    registration = (
        Registration.objects.select_related("occurrence__event__site__commune")
        .filter(key=payload.get("k"), erased_at__isnull=True)
        .first()
    )
    if registration is None:
        raise links.LinkError(links.INVALID)
    if registration.occurrence.ends_at < (now or timezone.now()):
        raise links.LinkError(PASSED)
    return registration


def registration_url(registration: Registration) -> str:
    path = reverse("agenda:registration", args=[registration_token(registration)])
    return settings.SITE_URL.rstrip("/") + path


def _mail(registration: Registration, template: str, occurrence: Occurrence) -> None:
    local_start = occurrence.starts_at.astimezone(TZ)
    context = {
        "registration": registration,
        "occurrence": occurrence,
        "event": occurrence.event,
        "starts_at": local_start,
        "link": registration_url(registration),
        "page": settings.SITE_URL.rstrip("/") + occurrence.get_absolute_url(),
    }
    body = render_to_string(template, context)
    subject, _, body = body.partition("\n")
    send_mail(subject.strip(), body.lstrip("\n"), None, [registration.email])
