"""Libraries without a reachable system: their patron list imported from CSV (the
``patron_file`` connector), the password each patron chooses through an e-mailed link,
kept only as a hash, and their login on the portal's usual form."""

import html
import logging
import re
import time
from datetime import date

import pytest
from axes.models import AccessAttempt
from django.core import signing
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from accounts.models import LibraryCard, LoginEvent
from connectors.base import InvalidCredentials
from connectors.models import Connector, FilePatron, PatronImport
from connectors.patron_file import passwords
from connectors.patron_file.driver import NOT_CHOSEN_YET, PatronFileDriver
from connectors.patron_file.importer import PatronFileError, import_patron_file
from tests.accounts.test_isolation import forbidden

LOGIN = reverse("accounts:login")
ACCOUNT = reverse("accounts:account")
REQUEST = reverse("accounts:password_request")
SET = reverse("accounts:password_set")
PASSWORD = "Un-jardin-de-livres-42"

FRENCH = (
    "N° carte;Nom;Prénom;Courriel;Date d'expiration\r\n"
    "1000 0001;Lefèvre;Jeanne;jeanne.lefevre@example.org;31/12/2030\r\n"
    "10000002;Girard;Paul;paul.girard@example.org;30/06/2030\r\n"
    "10000003;Mercier;Aïcha;;01/09/2025\r\n"
)
WITHOUT_PAUL = "\n".join(line for line in FRENCH.splitlines() if "Girard" not in line)


@pytest.fixture
def connector(cast):
    return Connector.objects.create(
        library=cast.library_a,
        name="Lecteurs",
        driver="patron_file",
        schedule="manual",
        card_pattern=r"1000\d{4}",
    )


def imported(connector, text: str, encoding: str = "utf-8", **options) -> PatronImport:
    return import_patron_file(connector, text.encode(encoding), file_name="lecteurs.csv", **options)


def patron(connector, card: str) -> FilePatron:
    return FilePatron.objects.get(connector=connector, card_number=card)


def with_password(connector, card: str, password: str = PASSWORD) -> FilePatron:
    found = patron(connector, card)
    found.set_password(password)
    found.save()
    return found


def page_of(response) -> str:
    return html.unescape(response.content.decode())


# ---------------------------------------------------------------- the import


def test_a_french_spreadsheets_list_in_windows_1252_with_semicolons_is_imported(connector, cast):
    record = imported(connector, FRENCH, "cp1252", actor=cast.admin_a)
    assert (record.read, record.created, record.rejected, record.encoding) == (
        3, 3, 0, "Windows-1252",
    )  # fmt: skip
    assert record.imported_by == cast.admin_a and record.file_name == "lecteurs.csv"
    jeanne = patron(connector, "10000001")  # the space of "1000 0001" dropped, as at login
    assert (jeanne.first_name, jeanne.last_name, jeanne.email, jeanne.expires_on) == (
        "Jeanne", "Lefèvre", "jeanne.lefevre@example.org", date(2030, 12, 31),
    )  # fmt: skip
    assert patron(connector, "10000003").first_name == "Aïcha"
    assert patron(connector, "10000003").email == ""
    assert not jeanne.has_password() and jeanne.active


def test_a_utf8_list_with_a_byte_order_mark_commas_and_english_headers(connector):
    text = (
        "\ufeffCard number,Last name,First name,E-mail,Expiry,Notes\n"
        '10000001,"Lefèvre, dite Jeanne",Jeanne,jeanne@example.org,2030-12-31,"a; b"\n'
        "10000002,Girard,Paul,,2030-06-30T00:00:00,\n"
    )
    record = imported(connector, text)
    assert (record.created, record.rejected, record.encoding) == (2, 0, "UTF-8")
    assert patron(connector, "10000001").last_name == "Lefèvre, dite Jeanne"
    assert patron(connector, "10000002").expires_on == date(2030, 6, 30)


def test_utf8_without_a_byte_order_mark_is_read_as_utf8(connector):
    record = imported(connector, FRENCH)
    assert record.encoding == "UTF-8"
    assert patron(connector, "10000001").last_name == "Lefèvre"


def test_rejected_rows_are_kept_with_their_line_and_reason(connector):
    text = (
        "numero_carte;nom;prenom;email;date_expiration\n"
        "10000001;Lefèvre;Jeanne;jeanne@example.org;31/12/2030\n"
        ";Sans;Carte;sans@example.org;31/12/2030\n"
        "10000002;Girard;Paul;paul@example.org;31/02/2030\n"
        "\n"
        "10000003;Mercier;Aïcha;pas-une-adresse;31/12/2030\n"
        "10000001;Lefèvre;Jeanne;autre@example.org;31/12/2030\n"
        "10000004;;;x@example.org;31/12/2030\n"
        "10000005;Dubois;Léon;;12/31/2030\n"
        "10000006;Bonnet;Claire;;\n"
    )
    record = imported(connector, text)
    assert (record.read, record.created, record.rejected) == (8, 2, 6)  # a blank line is no row
    unreadable = "date d'expiration illisible : « {} » (attendu JJ/MM/AAAA ou AAAA-MM-JJ)"
    assert record.rejected_rows == [
        {"ligne": 3, "carte": "", "motif": "numéro de carte manquant"},
        {"ligne": 4, "carte": "10000002", "motif": unreadable.format("31/02/2030")},
        {"ligne": 6, "carte": "10000003", "motif": "adresse e-mail invalide"},
        {
            "ligne": 7,
            "carte": "10000001",
            "motif": "numéro de carte déjà présent ligne 2 (cette ligne est ignorée)",
        },
        {"ligne": 8, "carte": "10000004", "motif": "nom manquant"},
        {"ligne": 9, "carte": "10000005", "motif": unreadable.format("12/31/2030")},
    ]
    assert patron(connector, "10000001").email == "jeanne@example.org"  # the first line's
    assert patron(connector, "10000006").expires_on is None  # no date: no end known
    assert set(connector.file_patrons.values_list("card_number", flat=True)) == {
        "10000001",
        "10000006",
    }


def test_rejected_rows_are_kept_for_the_networks_period_then_only_counts_stay(connector):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.privacy import purge_expired

    text = "numero_carte;nom;prenom\n10000001;Lefèvre;Jeanne\n;Sans;Carte\n"
    old, recent = imported(connector, text), imported(connector, text)
    PatronImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    assert purge_expired()["patron_import_details"] == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.rejected, old.rejected_rows) == (1, [])
    assert recent.rejected_rows == [{"ligne": 3, "carte": "", "motif": "numéro de carte manquant"}]
    assert purge_expired()["patron_import_details"] == 0  # nothing left to clear


def test_a_new_list_updates_patrons_and_keeps_their_password(connector):
    imported(connector, FRENCH)
    hashed = with_password(connector, "10000001").password
    again = FRENCH.replace("jeanne.lefevre@example.org", "jeanne@example.net").replace(
        "Girard", "Girard-Morel"
    )
    record = imported(connector, again)
    assert (record.created, record.updated, record.unchanged) == (0, 2, 1)
    jeanne = patron(connector, "10000001")
    assert jeanne.email == "jeanne@example.net" and jeanne.password == hashed
    assert jeanne.check_password(PASSWORD)
    assert patron(connector, "10000002").last_name == "Girard-Morel"


def test_a_column_the_file_does_not_have_keeps_what_the_portal_knows(connector):
    imported(connector, FRENCH)
    record = imported(connector, "numero_carte;nom;prenom\n10000001;Lefèvre;Jeanne\n")
    jeanne = patron(connector, "10000001")
    assert jeanne.email == "jeanne.lefevre@example.org"
    assert jeanne.expires_on == date(2030, 12, 31)
    assert record.unchanged == 1 and record.deactivated == 2


def test_a_patron_absent_from_the_new_list_is_made_inactive_then_brought_back(connector):
    imported(connector, FRENCH)
    with_password(connector, "10000002")
    driver = connector.get_driver()
    assert driver.authenticate("10000002", PASSWORD, timeout=1).last_name == "Girard"

    record = imported(connector, WITHOUT_PAUL)
    assert (record.deactivated, record.unchanged) == (1, 2)
    paul = patron(connector, "10000002")
    assert not paul.active and paul.has_password()  # not deleted, password kept
    with pytest.raises(InvalidCredentials) as refused:
        driver.authenticate("10000002", PASSWORD, timeout=1)
    assert refused.value.message == InvalidCredentials.MESSAGE

    record = imported(connector, FRENCH)
    assert (record.reactivated, record.updated, record.deactivated) == (1, 1, 0)
    assert patron(connector, "10000002").active
    assert driver.authenticate("10000002", PASSWORD, timeout=1).first_name == "Paul"


def test_a_known_patron_whose_row_is_rejected_keeps_their_access(connector):
    imported(connector, FRENCH)
    typo = FRENCH.replace("30/06/2030", "30/06/20300")
    record = imported(connector, typo)
    assert record.rejected == 1 and record.deactivated == 0
    paul = patron(connector, "10000002")
    assert paul.active and paul.expires_on == date(2030, 6, 30)


def test_a_file_broken_midway_changes_nothing(connector):
    imported(connector, FRENCH)
    before = list(FilePatron.objects.order_by("pk").values())
    broken = (
        "numero_carte;nom;prenom;email;date_expiration\n"
        "10000001;Lefèvre-Renommée;Jeanne;jeanne@example.org;31/12/2031\n"  # an update
        "10000009;Nouvelle;Lectrice;n@example.org;31/12/2031\n"  # a new patron
        '10000002;"Girard"x;Paul;;31/12/2031\n'  # broken quoting: the file is refused
        "10000003;Mercier;Aïcha;;01/09/2025\n"
    )
    with pytest.raises(PatronFileError) as error:
        imported(connector, broken)
    assert "Ligne 4 illisible" in error.value.message
    assert list(FilePatron.objects.order_by("pk").values()) == before
    assert PatronImport.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"nom;prenom\nLefevre;Jeanne\n", "Colonne du numéro de carte introuvable"),
        (b"numero_carte;email\n10000001;a@example.org\n", "Colonne du nom introuvable"),
        (b"numero_carte;nom\n", "Aucune ligne valide"),
        (b"numero_carte;nom\n;Lefevre\n", "ligne 2 : numéro de carte manquant"),
        (b"", "Le fichier est vide"),
        (b"PK\x03\x04\x14\x00\x06\x00", "n'est pas un fichier CSV"),
        (b"numero_carte;nom\n1;Dupont\x81\x8d\n", "ni en UTF-8 ni en Windows-1252"),
    ],
)
def test_a_file_that_cannot_be_imported_says_why_and_changes_nothing(connector, content, says):
    imported(connector, FRENCH)
    with pytest.raises(PatronFileError) as error:
        import_patron_file(connector, content, file_name="x.csv")
    assert says in error.value.message
    assert connector.file_patrons.filter(active=True).count() == 3  # nobody deactivated
    assert PatronImport.objects.count() == 1


def test_only_a_patron_file_connector_takes_a_patron_list(cast):
    other = Connector.objects.create(library=cast.library_a, name="Koha", driver="demo")
    with pytest.raises(PatronFileError):
        imported(other, FRENCH)


def test_the_management_command_imports_and_lists_rejected_rows(connector, tmp_path, capsys):
    path = tmp_path / "lecteurs.csv"
    path.write_bytes((FRENCH + "10000004;Dubois;Léon;;99/99/9999\r\n").encode("cp1252"))
    call_command("import_patron_file", str(connector.pk), str(path))
    out = capsys.readouterr().out
    assert "read=4 created=3 updated=0 unchanged=0 rejected=1" in out
    assert "ligne 5 : date d'expiration illisible" in out
    assert PatronImport.objects.get().imported_by is None
    path.write_bytes(b"nom\nDubois\n")
    with pytest.raises(CommandError, match="numéro de carte introuvable"):
        call_command("import_patron_file", str(connector.pk), str(path))
    with pytest.raises(CommandError, match="no connector"):
        call_command("import_patron_file", "999999", str(path))


# ---------------------------------------------------------------- the driver


def test_the_driver_only_authenticates_and_answers_from_the_portals_database():
    assert PatronFileDriver.capabilities == frozenset({"authenticate"})
    assert PatronFileDriver.answers_locally


def test_the_right_password_gives_the_lists_identity(connector):
    imported(connector, FRENCH)
    jeanne = with_password(connector, "10000001")
    identity = connector.get_driver().authenticate("10000001", PASSWORD, timeout=1)
    assert identity.card_number == "10000001" and identity.system_id == str(jeanne.pk)
    assert (identity.first_name, identity.last_name) == ("Jeanne", "Lefèvre")
    assert identity.email == "jeanne.lefevre@example.org"
    assert identity.expires_on == date(2030, 12, 31)


def test_unknown_card_wrong_password_and_another_librarys_list_get_one_refusal(connector, cast):
    imported(connector, FRENCH)
    with_password(connector, "10000001")
    elsewhere = Connector.objects.create(
        library=cast.library_b, name="Lecteurs", driver="patron_file"
    )
    imported(elsewhere, FRENCH)
    with_password(elsewhere, "10000001", "Un-autre-mot-de-passe-7")
    driver = connector.get_driver()
    for card, password in (
        ("10009999", PASSWORD),
        ("10000001", "pas-le-bon-mot-de-passe"),
        ("10000001", "Un-autre-mot-de-passe-7"),  # the other library's patron's
    ):
        with pytest.raises(InvalidCredentials) as refused:
            driver.authenticate(card, password, timeout=1)
        assert refused.value.message == InvalidCredentials.MESSAGE


def test_a_patron_without_a_password_is_told_to_choose_one(connector):
    imported(connector, FRENCH)
    with pytest.raises(InvalidCredentials) as refused:
        connector.get_driver().authenticate("10000002", "nimporte-quoi", timeout=1)
    assert refused.value.message == NOT_CHOSEN_YET


def test_the_login_form_says_to_choose_a_password_and_counts_a_failure(client, connector):
    imported(connector, FRENCH)
    response = client.post(LOGIN, {"card_number": "10000002", "pin": "nimporte-quoi"})
    assert response.status_code == 400
    assert NOT_CHOSEN_YET in page_of(response)
    assert LoginEvent.objects.get().kind == "failure"
    assert AccessAttempt.objects.count() == 1
    assert not LibraryCard.objects.exists()


def test_a_patron_of_the_list_logs_in_and_sees_that_loans_are_not_shown_here(
    client, connector, cast
):
    imported(connector, FRENCH)
    with_password(connector, "10000001")
    response = client.post(LOGIN, {"card_number": "1000-0001", "pin": PASSWORD})
    assert response.status_code == 302 and response.url == ACCOUNT
    card = LibraryCard.objects.get()
    assert card.library == cast.library_a and card.expires_on == date(2030, 12, 31)
    assert card.patron.user.last_name == "Lefèvre"
    page = page_of(client.get(ACCOUNT))
    assert "Cette bibliothèque ne permet pas encore de consulter son compte ici." in page
    assert "Prêts (" not in page


def test_an_expired_membership_logs_in_and_is_told_what_to_do(client, connector):
    imported(connector, FRENCH)
    with_password(connector, "10000003")
    assert client.post(LOGIN, {"card_number": "10000003", "pin": PASSWORD}).status_code == 302
    page = page_of(client.get(ACCOUNT))
    assert "Votre abonnement a pris fin le 01/09/2025." in page


# ---------------------------------------------------------------- the e-mailed link


def link_in(message) -> str:
    found = re.search(r"https?://[^/\s]+(/compte/mot-de-passe/[^\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def ask_link(client, card: str = "10000002"):
    return client.post(REQUEST, {"card_number": card})


def test_the_login_page_links_to_choosing_a_password_when_a_library_needs_it(client, connector):
    page = page_of(client.get(LOGIN))
    assert REQUEST in page and "Bibliothèques de Bron" in page
    connector.enabled = False
    connector.save()
    assert REQUEST not in page_of(client.get(LOGIN))


def test_a_patron_gets_a_link_chooses_a_password_and_logs_in(client, connector, mailoutbox):
    imported(connector, FRENCH)
    response = ask_link(client, card="1000 0002")
    assert response.status_code == 302 and response.url == reverse("accounts:password_sent")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["paul.girard@example.org"]
    assert "Bonjour Paul" in message.body and "valable 3 jours" in message.body

    opened = client.get(link_in(message))
    assert opened.status_code == 302 and opened.url == SET  # the token leaves the address bar
    form = client.get(SET)
    assert form.status_code == 200 and "Bibliothèques de Bron" in page_of(form)

    mismatch = client.post(SET, {"password1": PASSWORD, "password2": PASSWORD + "x"})
    assert mismatch.status_code == 400
    assert "Les deux mots de passe sont différents." in page_of(mismatch)
    assert 'aria-describedby="id_password2_error"' in mismatch.content.decode()
    weak = client.post(SET, {"password1": "10000002", "password2": "10000002"})
    assert weak.status_code == 400 and "id_password1_error" in weak.content.decode()

    done = client.post(SET, {"password1": PASSWORD, "password2": PASSWORD}, follow=True)
    assert done.redirect_chain[-1][0] == LOGIN
    assert "Votre mot de passe est enregistré." in page_of(done)
    assert patron(connector, "10000002").check_password(PASSWORD)
    logged_in = client.post(LOGIN, {"card_number": "10000002", "pin": PASSWORD})
    assert logged_in.status_code == 302 and logged_in.url == ACCOUNT


def test_the_answer_is_the_same_whether_or_not_a_link_is_sent(client, connector, mailoutbox):
    imported(connector, FRENCH)
    imported(connector, WITHOUT_PAUL)
    answers = [
        ask_link(client, card)
        for card in (
            "10009999",  # unknown
            "10000003",  # no e-mail
            "10000002",  # no longer on the list
            "10000001",  # gets a link
        )
    ]
    assert {(a.status_code, a.url) for a in answers} == {(302, reverse("accounts:password_sent"))}
    assert [m.to for m in mailoutbox] == [["jeanne.lefevre@example.org"]]
    sent = client.get(reverse("accounts:password_sent"))
    assert "Si ce numéro est celui d'une carte" in page_of(sent)


def test_a_link_that_cannot_be_sent_gets_the_same_answer(client, connector, settings, caplog):
    import socket

    with socket.socket() as closed:  # a port nothing listens on once closed
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    imported(connector, FRENCH)
    response = ask_link(client)
    assert response.status_code == 302 and response.url == reverse("accounts:password_sent")
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "not sent: ConnectionRefusedError" in record.getMessage()
    assert "paul.girard@example.org" not in record.getMessage()


def test_a_link_serves_once(client, connector, mailoutbox):
    imported(connector, FRENCH)
    ask_link(client)
    link = link_in(mailoutbox[0])
    client.get(link)
    client.post(SET, {"password1": PASSWORD, "password2": PASSWORD})
    again = client.get(link)
    assert again.status_code == 400 and "Ce lien a déjà servi" in page_of(again)
    assert client.get(SET).status_code == 400  # nothing left in the session either


def test_an_expired_link_is_refused(client, connector):
    imported(connector, FRENCH)
    paul = patron(connector, "10000002")

    class FourDaysAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 4 * 24 * 3600)

    payload = {"patron": paul.pk, "state": passwords._state(paul)}
    old = FourDaysAgo(salt=passwords.SALT).sign_object(payload)
    response = client.get(reverse("accounts:password_link", args=[old]))
    assert response.status_code == 400 and "Ce lien a expiré" in page_of(response)
    fresh = passwords.password_token(paul)
    assert client.get(reverse("accounts:password_link", args=[fresh])).status_code == 302


def test_a_forged_link_or_one_for_another_purpose_is_refused(client, connector, cast):
    imported(connector, FRENCH)
    paul = patron(connector, "10000002")
    token = passwords.password_token(paul)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    other_use = signing.dumps({"patron": paul.pk, "state": passwords._state(paul)}, salt="autre")
    for bad in (forged, other_use):
        response = client.get(reverse("accounts:password_link", args=[bad]))
        assert response.status_code == 400 and "Ce lien n'est pas valide" in page_of(response)
    assert client.get(SET).status_code == 400


def test_a_link_is_stale_once_a_new_list_changes_the_email(client, connector):
    imported(connector, FRENCH)
    token = passwords.password_token(patron(connector, "10000002"))
    imported(connector, FRENCH.replace("paul.girard@example.org", "paul@example.net"))
    response = client.get(reverse("accounts:password_link", args=[token]))
    assert response.status_code == 400 and "Ce lien a déjà servi" in page_of(response)


def test_links_are_throttled_per_card_and_per_address(client, connector, mailoutbox, settings):
    from accounts import views

    imported(connector, FRENCH)
    for _ in range(views.LINKS_PER_CARD_PER_HOUR + 2):
        assert ask_link(client).status_code == 302  # the same answer…
    assert len(mailoutbox) == views.LINKS_PER_CARD_PER_HOUR  # …but no more e-mails
    for _ in range(views.LINK_REQUESTS_PER_ADDRESS_PER_HOUR - views.LINKS_PER_CARD_PER_HOUR - 2):
        ask_link(client, "10009999")
    refused = ask_link(client, "10000001")
    assert refused.status_code == 429 and "Trop de demandes" in page_of(refused)
    assert len(mailoutbox) == views.LINKS_PER_CARD_PER_HOUR


def test_the_password_is_kept_only_as_a_hash_and_never_logged(
    client, connector, mailoutbox, caplog
):
    caplog.set_level(logging.DEBUG)
    imported(connector, FRENCH)
    ask_link(client)
    client.get(link_in(mailoutbox[0]))
    client.post(SET, {"password1": PASSWORD, "password2": PASSWORD + "?"})  # refused
    client.post(SET, {"password1": PASSWORD, "password2": PASSWORD})
    client.post(LOGIN, {"card_number": "10000002", "pin": PASSWORD + "!"})  # wrong
    client.post(LOGIN, {"card_number": "10000002", "pin": PASSWORD})
    assert patron(connector, "10000002").password.startswith("md5$")  # the tests' hasher
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the schema)
            assert PASSWORD not in repr(cursor.fetchall()), table
    logged = "\n".join(
        f"{record.getMessage()} {record.args!r} {record.__dict__.get('request', '')}"
        for record in caplog.records
    )
    assert caplog.records  # the import and the new password are logged…
    for secret in (PASSWORD, "10000002", "paul.girard@example.org", "Girard"):
        assert secret not in logged  # …without anything personal


# ---------------------------------------------------------------- the back-office


def upload(client, connector, text: str, encoding: str = "utf-8", name: str = "lecteurs.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("connectors_patron_file", args=[connector.pk])
    return client.post(url, {"file": SimpleUploadedFile(name, text.encode(encoding))})


def test_library_staff_upload_a_list_and_see_its_rejected_rows(client, connector, cast):
    client.force_login(cast.admin_a)
    url = reverse("connectors_patron_file", args=[connector.pk])
    assert "Aucune liste importée" in page_of(client.get(url))
    response = upload(client, connector, FRENCH + "10000004;Dubois;Léon;;31/13/2030\r\n", "cp1252")
    assert response.status_code == 302
    page = page_of(client.get(url))
    assert "Liste importée : 4 lignes lues, 3 lecteur(s) ajouté(s)" in page
    assert "lecteurs.csv (Windows-1252)" in page
    assert "Date d'expiration illisible : « 31/13/2030 »" in page and "<td>5</td>" in page
    assert connector.file_patrons.count() == 3
    refused = upload(client, connector, "nom\nDubois\n")
    assert refused.status_code == 400
    assert "Colonne du numéro de carte introuvable" in page_of(refused)
    assert PatronImport.objects.count() == 1


def test_a_library_administrator_adds_a_patron_list_connector(client, cast):
    client.force_login(cast.admin_a)
    choose = page_of(client.get("/admin/connecteurs/new/"))
    assert "?driver=patron_file" in choose and "Liste de lecteurs importée" in choose
    form = client.get("/admin/connecteurs/new/?driver=patron_file").content.decode()
    assert "card_pattern" in form and "schedule" not in form
    data = {
        "library": cast.library_a.pk,
        "name": "Lecteurs",
        "card_pattern": r"1000\d{4}",
        "enabled": "on",
    }
    response = client.post("/admin/connecteurs/new/?driver=patron_file", data)
    assert response.status_code == 302, page_of(response)[:2000]
    added = Connector.objects.get()
    assert (added.driver, added.library, added.settings) == ("patron_file", cast.library_a, {})


def test_the_connector_list_leads_to_the_patron_list_page(client, connector, cast):
    client.force_login(cast.admin_a)
    page = client.get("/admin/connecteurs/").content.decode()
    assert reverse("connectors_patron_file", args=[connector.pk]) in page
    assert "Importer la liste des lecteurs" in page
    harvest = client.get(reverse("connectors_harvest", args=[connector.pk]))
    assert harvest.status_code == 302
    assert harvest.url == reverse("connectors_patron_file", args=[connector.pk])


def test_editors_and_other_libraries_cannot_reach_the_patron_list(client, connector, cast):
    url = reverse("connectors_patron_file", args=[connector.pk])
    client.force_login(cast.editor_a)
    assert forbidden(client.get(url))
    assert forbidden(upload(client, connector, FRENCH))
    for outsider in (cast.admin_b, cast.editor_b):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert upload(client, connector, FRENCH).status_code == 404
    assert not FilePatron.objects.exists()
    client.force_login(cast.network_admin)
    assert client.get(url).status_code == 200
