"""An inhabitant of the Métropole gets a free metropolitan card online or at a desk, logs
in with it, and controls their personal data."""

import html
import json
from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import metrocard, privacy
from accounts.models import LoginEvent, MetropolitanCard, NetworkPatronSettings, Patron, User
from tests.factories import CommuneFactory

REGISTER = reverse("accounts:metro_register")
PASSWORD = "lecture-Partout-2026"


@pytest.fixture
def communes(cast):
    oullins = CommuneFactory(
        insee_code="69149",
        name="Oullins-Pierre-Bénite",
        former_codes="69152",
        former_names="Oullins, Pierre-Bénite",
    )
    saint_priest = CommuneFactory(insee_code="69290", name="Saint-Priest")
    return {"oullins": oullins, "saint_priest": saint_priest, "bron": cast.commune_a}


def form(**changes):
    data = {
        "first_name": "Aïcha",
        "last_name": "Benali",
        "birth_date": "14/05/1987",
        "email": "aicha.benali@example.org",
        "street": "12 rue de la République",
        "postal_code": "69500",
        "commune": "Bron",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "privacy": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def page_of(response) -> str:
    return html.unescape(response.content.decode())


def test_card_numbers_carry_a_check_digit():
    number = metrocard.card_number(42)
    assert number.startswith("2690") and len(number) == 12
    assert metrocard.is_card_number(number)
    mistyped = number[:-2] + str((int(number[-2]) + 1) % 10) + number[-1]
    assert not metrocard.is_card_number(mistyped)
    assert not metrocard.is_card_number("2902000101")


def test_an_inhabitant_registers_online_and_is_logged_in(client, communes):
    response = client.post(REGISTER, form())
    assert response.status_code == 302
    card = MetropolitanCard.objects.get()
    user = card.patron.user
    assert metrocard.is_card_number(card.number) and user.username == card.number
    assert user.check_password(PASSWORD) and user.password.startswith("md5$")  # a hash
    assert card.commune == communes["bron"] and card.patron.commune == communes["bron"]
    assert card.patron.age_band == "26-64"
    assert card.expires_on > timezone.localdate() + timedelta(days=360)
    page = page_of(client.get(response.url))
    assert card.number in page and 'class="card-barcode"' in page and 'class="card-qr"' in page
    assert "Adresse e-mail à confirmer" in page
    assert len(mail.outbox) == 1 and card.number in mail.outbox[0].body


def test_the_emailed_link_confirms_the_address(client, communes):
    client.post(REGISTER, form())
    link = next(line for line in mail.outbox[0].body.splitlines() if "/confirmer/" in line)
    response = client.get(link.replace("http://testserver", ""))
    assert "est confirmée" in page_of(response)
    assert MetropolitanCard.objects.get().email_verified_at is not None
    tampered = client.get(link.replace("http://testserver", "")[:-3] + "xyz/")
    assert tampered.status_code == 400 and "n'est pas valide" in page_of(tampered)


@pytest.mark.parametrize("typed", ["Pierre-Bénite", "pierre benite", "69152", "69149", "Oullins"])
def test_former_names_and_codes_of_merged_communes_are_accepted(client, communes, typed):
    response = client.post(REGISTER, form(commune=typed, postal_code="69310"))
    assert response.status_code == 302
    assert MetropolitanCard.objects.get().commune == communes["oullins"]


def test_st_for_saint_is_understood(client, communes):
    client.post(REGISTER, form(commune="ST PRIEST", postal_code="69800"))
    assert MetropolitanCard.objects.get().commune == communes["saint_priest"]


def test_someone_living_outside_the_metropole_is_told_why(client, communes):
    response = client.post(REGISTER, form(commune="Grenoble", postal_code="38000"))
    assert response.status_code == 400
    assert "réservée à leurs habitants" in page_of(response)
    assert not Patron.objects.exists()


def test_under_15s_need_a_parents_consent(client, communes):
    young = (timezone.localdate() - timedelta(days=365 * 10)).strftime("%d/%m/%Y")
    refused = client.post(REGISTER, form(birth_date=young))
    assert refused.status_code == 400
    assert "l'accord du parent est nécessaire" in page_of(refused)
    accepted = client.post(
        REGISTER, form(birth_date=young, guardian_name="Karim Benali", guardian_consent="on")
    )
    assert accepted.status_code == 302
    card = MetropolitanCard.objects.get()
    assert card.guardian_name == "Karim Benali" and card.patron.age_band == "0-14"


def test_bad_input_gets_clear_messages_and_creates_nothing(client, communes):
    response = client.post(
        REGISTER,
        form(password2="autre-chose-2026", postal_code="6950", privacy=None, email=""),
    )
    page = page_of(response)
    assert "Les deux mots de passe sont différents." in page
    assert "Un code postal a cinq chiffres." in page
    assert "Votre accord est nécessaire pour délivrer la carte." in page
    assert "Indiquez votre adresse e-mail." in page
    assert not MetropolitanCard.objects.exists()


def test_a_weak_password_is_refused(client, communes):
    response = client.post(REGISTER, form(password1="123456789012", password2="123456789012"))
    assert response.status_code == 400 and not MetropolitanCard.objects.exists()


def test_one_card_per_email(client, communes):
    client.post(REGISTER, form())
    client.logout()
    again = client.post(REGISTER, form(first_name="Autre"))
    assert "existe déjà pour cette adresse e-mail" in page_of(again)
    assert MetropolitanCard.objects.count() == 1


def test_log_in_with_the_card_number_and_password(client, communes):
    client.post(REGISTER, form())
    number = MetropolitanCard.objects.get().number
    client.logout()
    refused = client.post(reverse("accounts:login"), {"card_number": number, "pin": "faux"})
    assert "Numéro de carte ou code confidentiel incorrect." in page_of(refused)
    response = client.post(reverse("accounts:login"), {"card_number": number, "pin": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("accounts:account")
    kinds = list(LoginEvent.objects.values_list("kind", flat=True).order_by("pk"))
    assert kinds == ["success", "failure", "success"]  # logged in at registration first
    assert number not in "".join(LoginEvent.objects.values_list("login_digest", flat=True))


def test_staff_register_someone_without_email_at_a_desk(client, communes, cast):
    client.force_login(cast.editor_b)
    response = client.post(reverse("accounts:metro_desk"), form(email=""))
    assert response.status_code == 200
    card = MetropolitanCard.objects.get()
    assert card.registered_by == cast.editor_b and card.patron.user.email == ""
    assert "Carte métropolitaine délivrée" in page_of(response) and card.number in page_of(response)
    assert mail.outbox == []


def test_the_desk_form_is_for_staff_only(client, communes, cast):
    assert client.get(reverse("accounts:metro_desk")).status_code == 302
    client.force_login(cast.patron)
    assert client.get(reverse("accounts:metro_desk")).status_code == 302


def test_proof_of_address_when_the_network_asks_for_it(client, communes, cast):
    rules = NetworkPatronSettings.load()
    rules.proof_of_address_required = True
    rules.save()
    client.post(REGISTER, form())
    card = MetropolitanCard.objects.get()
    assert not metrocard.full_access(card)
    assert "ressources libres seulement" in page_of(client.get(reverse("accounts:metro_card")))
    client.force_login(cast.editor_a)
    queue = client.get(reverse("accounts_proof_queue"))
    assert queue.status_code == 200 and card.number in page_of(queue)
    client.post(reverse("accounts_proof_validate", args=[card.pk]))
    card.refresh_from_db()
    assert card.address_validated_by == cast.editor_a and metrocard.full_access(card)
    assert "Aucune carte en attente" in page_of(client.get(reverse("accounts_proof_queue")))


def test_patrons_cannot_open_the_proof_queue(client, communes, cast):
    client.force_login(cast.patron)
    response = client.get(reverse("accounts_proof_queue"))
    assert response.status_code in (302, 403)


def test_download_everything_the_portal_holds(client, communes):
    client.post(REGISTER, form())
    response = client.get(reverse("accounts:privacy_export"))
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["compte"]["email"] == "aicha.benali@example.org"
    assert data["carte_metropolitaine"]["commune"] == "Bron"
    assert data["carte_metropolitaine"]["date_de_naissance"] == "1987-05-14"
    assert data["historique_de_lecture"] == {"active": False, "prets": []}
    assert PASSWORD not in response.content.decode()


def test_delete_my_account(client, communes):
    client.post(REGISTER, form())
    number = MetropolitanCard.objects.get().number
    unconfirmed = client.post(reverse("accounts:privacy_delete"), follow=True)
    assert "Cochez la case" in page_of(unconfirmed) and Patron.objects.exists()
    response = client.post(reverse("accounts:privacy_delete"), {"confirmer": "oui"})
    assert "Votre compte Métrobib est supprimé." in page_of(response)
    assert not Patron.objects.exists() and not MetropolitanCard.objects.exists()
    assert not User.objects.filter(username=number).exists()


def test_retention_periods_are_enforced(communes, cast):
    registration = metrocard.Registration(
        first_name="A", last_name="B", birth_date=date(1990, 1, 1), email="a@example.org",
        street="1 rue", postal_code="69500", commune=communes["bron"], password=PASSWORD,
    )  # fmt: skip
    stale = metrocard.register(registration)
    fresh = metrocard.register(
        metrocard.Registration(**{**registration.__dict__, "email": "c@example.org"})
    )
    desk = metrocard.register(
        metrocard.Registration(**{**registration.__dict__, "email": ""}), actor=cast.admin_a
    )
    long_ago = timezone.now() - timedelta(days=40)
    MetropolitanCard.objects.filter(pk__in=[stale.pk, desk.pk]).update(privacy_accepted_at=long_ago)
    old_event = LoginEvent.objects.create(kind="failure")
    LoginEvent.objects.filter(pk=old_event.pk).update(at=timezone.now() - timedelta(days=400))
    LoginEvent.objects.create(kind="failure")
    erased = privacy.purge_expired()
    assert erased == {
        "login_events": 1,
        "login_attempts": 0,
        "patron_import_details": 0,
        "unverified_cards": 1,
        "inactive_patrons": 0,
    }
    assert set(MetropolitanCard.objects.values_list("pk", flat=True)) == {fresh.pk, desk.pk}
    later = timezone.now() + timedelta(days=3 * 365 + 1)
    assert privacy.purge_expired(later)["inactive_patrons"] == 2
