"""Personal data of patrons (RGPD): what the portal holds, erasing it, and keeping it no
longer than the network's settings say (NetworkPatronSettings), by a scheduled command
(``manage.py purge_personal_data``)."""

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import (
    LoginEvent,
    MetropolitanCard,
    NetworkPatronSettings,
    Role,
    User,
)
from connectors.models import PatronImport


def _date(value) -> str | None:
    return value.isoformat() if value else None


def personal_data(user: User) -> dict:
    """Everything the portal holds about a patron, as one JSON-ready dictionary."""
    patron = getattr(user, "patron", None)
    data = {
        "compte": {
            "prenom": user.first_name,
            "nom": user.last_name,
            "email": user.email,
            "cree_le": _date(user.date_joined),
            "derniere_connexion": _date(user.last_login),
        },
        "usager": None,
        "cartes_de_bibliotheque": [],
        "carte_metropolitaine": None,
        "connexions": [
            {
                "date": _date(event.at),
                "evenement": event.get_kind_display(),
                "reseau": event.network,
            }
            for event in LoginEvent.objects.filter(user=user).order_by("at")
        ],
        "historique_de_lecture": {"active": False, "prets": []},
    }
    if patron is None:
        return data
    data["historique_de_lecture"] = {
        "active": patron.keeps_reading_history,
        "prets": [
            {
                "titre": entry.title,
                "auteur": entry.author,
                "bibliotheque": str(entry.library or ""),
                "vu_en_pret_le": _date(entry.first_seen),
                "vu_pour_la_derniere_fois_le": _date(entry.last_seen),
            }
            for entry in patron.reading_history.select_related("library")
        ],
    }
    data["usager"] = {
        "bibliotheque_de_rattachement": str(patron.home_library or ""),
        "commune": str(patron.commune or ""),
        "tranche_d_age": patron.get_age_band_display() if patron.age_band else "",
    }
    for card in patron.cards.select_related("connector__library"):
        data["cartes_de_bibliotheque"].append(
            {
                "bibliotheque": str(card.library),
                "numero": card.card_number,
                "identifiant_dans_le_systeme": card.system_id,
                "nom_dans_le_systeme": card.name,
                "email_dans_le_systeme": card.email,
                "fin_d_abonnement": _date(card.expires_on),
                "bloquee": card.blocked,
                "motif": card.block_reason,
                "code_verifie_le": _date(card.checked_at),
                "ajoutee_le": _date(card.linked_at),
            }
        )
    metro = MetropolitanCard.objects.filter(patron=patron).select_related("commune").first()
    if metro is not None:
        data["carte_metropolitaine"] = {
            "numero": metro.number,
            "date_de_naissance": _date(metro.birth_date),
            "adresse": metro.street,
            "code_postal": metro.postal_code,
            "commune": metro.commune.name,
            "representant_legal": metro.guardian_name,
            "notice_acceptee_le": _date(metro.privacy_accepted_at),
            "email_verifie_le": _date(metro.email_verified_at),
            "justificatif_vu_le": _date(metro.address_validated_at),
            "delivree_le": _date(metro.issued_on),
            "valable_jusqu_au": _date(metro.expires_on),
        }
    return data


@transaction.atomic
def delete_patron(user: User) -> None:
    """Erase a patron's portal account: cards, metropolitan card, the account itself. The
    audit trail keeps its rows without the user (they hold no personal data). Each
    library's system keeps its own record of the patron."""
    if user.role != Role.PATRON:
        raise ValueError("only patrons erase their own account")
    user.delete()


def purge_expired(now=None) -> dict[str, int]:
    """Apply the retention periods of NetworkPatronSettings; returns what was erased."""
    now = now or timezone.now()
    rules = NetworkPatronSettings.load()
    events, _ = LoginEvent.objects.filter(
        at__lt=now - timedelta(days=rules.login_events_retention_days)
    ).delete()
    unverified_before = now - timedelta(days=rules.unverified_card_retention_days)
    unverified = User.objects.filter(
        role=Role.PATRON,
        patron__metropolitan_card__email_verified_at__isnull=True,
        patron__metropolitan_card__registered_by__isnull=True,  # desk cards may have no e-mail
        patron__metropolitan_card__privacy_accepted_at__lt=unverified_before,
    ).exclude(patron__cards__isnull=False)
    unverified_count = unverified.count()
    unverified.delete()
    inactive_before = now - timedelta(days=rules.inactive_patron_retention_days)
    inactive = User.objects.filter(role=Role.PATRON).filter(
        Q(last_login__lt=inactive_before)
        | Q(last_login__isnull=True, date_joined__lt=inactive_before)
    )
    inactive_count = inactive.count()
    inactive.delete()
    # django-axes' failed attempts (keyed digests and networks) once their lockout is over.
    attempts, _ = AccessAttempt.objects.filter(
        attempt_time__lt=now - settings.AXES_COOLOFF_TIME
    ).delete()
    # The rows a patron list rejected name patrons (card numbers, names): kept long enough
    # for staff to correct their file, then only the counts stay.
    imports_before = now - timedelta(days=rules.patron_import_details_retention_days)
    import_details = (
        PatronImport.objects.filter(created_at__lt=imports_before)
        .exclude(rejected_rows=[])
        .update(rejected_rows=[])
    )
    return {
        "login_events": events,
        "login_attempts": attempts,
        "patron_import_details": import_details,
        "unverified_cards": unverified_count,
        "inactive_patrons": inactive_count,
    }
