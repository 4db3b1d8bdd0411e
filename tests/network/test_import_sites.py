"""Importing sites from the Ministry of Culture's list: the real Lyon file, broken files,
the management command and the back-office upload screen.

The real file is ``tests/data/`` (see SOURCES.md); broken files are written below, each
next to the case it shows. An import is all or nothing: a refused file changes no row.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from wagtail.models import Page

from network.demo import load_communes
from network.models import Library, Site
from network.services import SiteImportError, import_sites

LYON_CSV = (
    Path(__file__).parent.parent
    / "data"
    / ("bibliotheques-publiques_metropole-lyon_from-offre_culturelle.csv")
)
IMPORT_URL = "/admin/lieux/importer/"

HEADER = (
    "Code_bib,nom_de_l_etablissement,Adresse,CP,Ville,Longitude,Latitude,"
    "type_adresse,site_internet,nombre_de_places,connexion_wi_fi,code_insee_commune_metropole"
)
BRON = (
    "ZZ0001,MEDIATHEQUE DU CENTRE,1 place Curial,69500,Bron,"
    "4.92,45.74,Bâtiment ouvert,,40,Oui,69029"
)
VENISSIEUX = (
    "ZZ0002,Bibliothèque des Minguettes,2 rue Gaston Monmousseau,69200,Vénissieux,"
    "4.88,45.70,Bâtiment ouvert,https://bm-venissieux.fr,25,Non,69259"
)


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return "\n".join([header, *lines, ""]).encode(encoding)


def snapshot() -> dict:
    """Everything an import may write, to compare before and after a refused file."""
    return {
        "sites": sorted(
            Site.objects.values_list(
                "pk", "source_code", "name", "commune_id", "library_id", "latitude", "seats"
            )
        ),
        "libraries": sorted(Library.objects.values_list("pk", "name")),
        "library_communes": sorted(Library.communes.through.objects.values_list("pk", flat=True)),
        "site_features": sorted(Site.features.through.objects.values_list("pk", flat=True)),
        "pages": Page.objects.count(),
    }


@pytest.fixture(scope="module")
def lyon(django_db_setup, django_db_blocker):
    """The 58 communes and the real file, imported once for the module.

    Importing creates a library page per town, which takes seconds: like Django's
    ``TestCase.setUpTestData``, the rows live in a transaction around the module, each
    test runs in a savepoint inside it, and the whole is rolled back at the end.
    """
    with django_db_blocker.unblock():
        module_transaction = transaction.atomic()
        module_transaction.__enter__()
        load_communes()
        result = import_sites(LYON_CSV.read_bytes())
    yield result
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        module_transaction.__exit__(None, None, None)


@pytest.fixture
def imported(lyon, db):
    return lyon


# --- The real file ----------------------------------------------------------------------


def test_the_real_lyon_file_creates_its_92_sites(imported):
    assert (imported.created, imported.updated) == (92, 0)
    assert Site.objects.count() == 92
    assert Site.objects.filter(source_code__isnull=True).count() == 0


def test_pierre_benite_rows_land_in_oullins_pierre_benite(imported):
    for code in ("LI3053", "LI3051"):
        site = Site.objects.get(source_code=code)
        assert site.commune.insee_code == "69149"
        assert site.commune.name == "Oullins-Pierre-Bénite"


def test_the_row_without_coordinates_is_imported_without_coordinates(imported):
    service = Site.objects.get(source_code="BD18061")
    assert (service.latitude, service.longitude) == (None, None)
    assert not service.has_coordinates
    assert service.kind == "service"
    assert Site.objects.filter(latitude__isnull=True).count() == 1


def test_names_in_capitals_are_tidied_and_kinds_follow_the_address_type(imported):
    assert Site.objects.get(source_code="LI14352").name == "Pole Lecture Terraillon"
    assert Site.objects.get(source_code="LI18979").kind == "mobile"


def test_a_malformed_website_is_a_warning_not_an_error(imported):
    assert any("bibenligne.f/" in w and w.startswith("Ligne ") for w in imported.warnings)
    assert Site.objects.get(source_code="LI9095").website == ""


def test_sites_of_a_town_share_one_library(imported):
    villeurbanne = Site.objects.filter(commune__insee_code="69266")
    assert villeurbanne.count() > 1
    assert villeurbanne.values("library").distinct().count() == 1


def test_a_second_import_updates_the_same_rows(imported):
    before = snapshot()
    pks = dict(Site.objects.values_list("source_code", "pk"))
    again = import_sites(LYON_CSV.read_bytes())
    assert (again.created, again.updated) == (0, 92)
    assert again.libraries_created == []
    assert dict(Site.objects.values_list("source_code", "pk")) == pks
    assert snapshot()["libraries"] == before["libraries"]
    assert snapshot()["pages"] == before["pages"]


def test_a_second_import_keeps_what_staff_filled_in(imported):
    site = Site.objects.get(source_code="LI14352")
    site.opening_hours, site.phone = "We 10:00-18:00", "04 72 00 00 00"
    site.save()
    import_sites(LYON_CSV.read_bytes())
    site.refresh_from_db()
    assert (site.opening_hours, site.phone) == ("We 10:00-18:00", "04 72 00 00 00")


# --- Refused files: French messages with their line, and nothing changed ----------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            csv_bytes(BRON.replace("Bron,", "Atlantis,").replace(",69029", ",99999")),
            "Ligne 2 : commune « Atlantis » (code INSEE 99999) inconnue du réseau.",
            id="unknown commune code",
        ),
        pytest.param(
            csv_bytes(BRON.replace("Bron,", "Atlantis,").replace(",69029", ",")),
            "Ligne 2 : commune « Atlantis » inconnue du réseau.",
            id="unknown commune name",
        ),
        pytest.param(
            csv_bytes(VENISSIEUX, BRON.replace(",45.74,", ",quarante-cinq,")),
            "Ligne 3 : coordonnées invalides (latitude « quarante-cinq », longitude « 4.92 »).",
            id="coordinates not a number",
        ),
        pytest.param(
            csv_bytes(BRON.replace(",45.74,", ",145.74,")),
            "Ligne 2 : coordonnées invalides (latitude « 145.74 », longitude « 4.92 »).",
            id="latitude out of range",
        ),
        pytest.param(
            csv_bytes(BRON.replace(",45.74,", ",,")),
            "Ligne 2 : coordonnées invalides (latitude «  », longitude « 4.92 »).",
            id="latitude without longitude",
        ),
        pytest.param(
            csv_bytes(BRON, VENISSIEUX, BRON.replace("CENTRE", "CENTRE BIS")),
            "Ligne 4 : le code ZZ0001 figure déjà ligne 2.",
            id="duplicate Code_bib",
        ),
        pytest.param(
            csv_bytes(BRON.replace("ZZ0001", "")),
            "Ligne 2 : le code (Code_bib) est vide.",
            id="empty Code_bib",
        ),
        pytest.param(
            csv_bytes(BRON.replace(",69500,", ",695,")),
            "Ligne 2 : code postal « 695 » invalide (cinq chiffres).",
            id="bad postcode",
        ),
        pytest.param(
            csv_bytes(BRON.replace(",40,", ",quarante,")),
            "Ligne 2 : nombre de places « quarante » invalide.",
            id="bad seats",
        ),
        pytest.param(
            csv_bytes(BRON.replace(",40,", ",-5,")),
            "Ligne 2 : nombre de places « -5 » invalide.",
            id="negative seats",
        ),
        pytest.param(
            csv_bytes(BRON.replace(",40,", ",inf,")),
            "Ligne 2 : nombre de places « inf » invalide.",
            id="infinite seats",
        ),
        pytest.param(
            csv_bytes(BRON.replace(",40,", ",1e12,")),
            "Ligne 2 : nombre de places « 1e12 » invalide.",
            id="absurd seats",
        ),
        pytest.param(
            csv_bytes("ZZ0001,1 place Curial,69500,Bron", header="Code_bib,Adresse,CP,Ville"),
            "Colonnes manquantes : nom_de_l_etablissement (ligne 1, en-tête).",
            id="missing column",
        ),
        pytest.param(
            b"",
            "Colonnes manquantes : Code_bib, nom_de_l_etablissement, Adresse, CP, Ville "
            "(ligne 1, en-tête).",
            id="empty file",
        ),
        pytest.param(
            csv_bytes(),
            "Le fichier ne contient aucune ligne de données.",
            id="header only",
        ),
    ],
)
def test_a_bad_file_is_refused_with_line_numbered_french_messages(imported, data, message):
    before = snapshot()
    with pytest.raises(SiteImportError) as refused:
        import_sites(data)
    assert message in refused.value.errors
    assert snapshot() == before


def test_every_bad_line_is_reported_at_once(imported):
    data = csv_bytes(
        BRON.replace(",69029", ",99999"),
        VENISSIEUX,
        VENISSIEUX.replace(",45.70,", ",x,"),
    )
    with pytest.raises(SiteImportError) as refused:
        import_sites(data)
    assert [e.split(" : ")[0] for e in refused.value.errors] == ["Ligne 2", "Ligne 4"]
    assert "le code ZZ0002 figure déjà ligne 3" in refused.value.errors[1]
    assert "coordonnées invalides" in refused.value.errors[1]


def test_valid_lines_before_a_bad_one_change_nothing(imported):
    update = (
        "LI14352,POLE LECTURE RENOMME,62 RUE MARCEL BRAMET,69500,Bron,4.92,45.74,,,26,Non,69029"
    )
    data = csv_bytes(BRON, update, VENISSIEUX.replace(",69259", ",99999"))
    before = snapshot()
    with pytest.raises(SiteImportError) as refused:
        import_sites(data)
    assert refused.value.errors == [
        "Ligne 4 : commune « Vénissieux » (code INSEE 99999) inconnue du réseau."
    ]
    assert snapshot() == before
    assert Site.objects.get(source_code="LI14352").name == "Pole Lecture Terraillon"
    assert not Site.objects.filter(source_code="ZZ0001").exists()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        pytest.param("nom_de_l_etablissement", "Médiathèque " * 20, id="name"),
        pytest.param("Code_bib", "LI" + "9" * 30, id="code"),
        pytest.param("Adresse", "12 rue de la République " * 12, id="address"),
    ],
)
def test_values_too_long_for_the_database_are_refused_with_their_line(imported, column, value):
    row = dict(zip(HEADER.split(","), BRON.split(","), strict=True))
    row[column] = value
    before = snapshot()
    with pytest.raises(SiteImportError) as refused:
        import_sites(csv_bytes(VENISSIEUX, ",".join(row.values())))
    assert len(refused.value.errors) == 1
    assert refused.value.errors[0].startswith("Ligne 3 : ")
    assert "trop long" in refused.value.errors[0]
    assert snapshot() == before


def test_a_website_too_long_for_the_database_is_a_warning(imported):
    row = BRON.replace(",,40,", f",https://bron.fr/{'mediatheque/' * 20},40,")
    result = import_sites(csv_bytes(row))
    assert result.created == 1
    assert Site.objects.get(source_code="ZZ0001").website == ""
    assert any(w.startswith("Ligne 2 : site web") for w in result.warnings)


# --- Files as spreadsheets save them ----------------------------------------------------


def test_a_windows_cp1252_file_is_read_with_its_accents(imported):
    # Spreadsheets on Windows save "CSV" in cp1252: the import falls back to it, so the
    # file is valid and its accents survive (no commune code: matched by accented name).
    header = "Code_bib,nom_de_l_etablissement,Adresse,CP,Ville,Longitude,Latitude"
    line = "ZZ0003,Médiathèque Lucie Aubrac,2 avenue Marcel Houël,69200,Vénissieux,4.88,45.70"
    data = csv_bytes(line, header=header, encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = import_sites(data)
    assert result.created == 1
    site = Site.objects.get(source_code="ZZ0003")
    assert (site.name, site.address) == ("Médiathèque Lucie Aubrac", "2 avenue Marcel Houël")
    assert site.commune.insee_code == "69259"


def test_a_french_excel_file_with_bom_and_semicolons_is_read(imported):
    header = HEADER.replace(",", ";")
    data = "\ufeff".encode() + csv_bytes(BRON.replace(",", ";"), header=header)
    result = import_sites(data)
    assert result.created == 1
    site = Site.objects.get(source_code="ZZ0001")
    assert (site.name, site.commune.name, site.seats) == ("Médiathèque du Centre", "Bron", 40)
    assert site.features.filter(slug="wifi").exists()


# --- The management command -------------------------------------------------------------


def test_the_command_prints_what_it_did(imported, tmp_path):
    out = StringIO()
    call_command("import_sites", str(LYON_CSV), stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("created=0 updated=92 ")
    new = tmp_path / "sites.csv"
    new.write_bytes(csv_bytes(BRON, VENISSIEUX))
    out = StringIO()
    call_command("import_sites", str(new), stdout=out, stderr=StringIO())
    assert out.getvalue().startswith("created=2 updated=0 ")


def test_the_command_fails_with_the_messages_on_a_bad_file(imported, tmp_path):
    bad = tmp_path / "sites.csv"
    bad.write_bytes(csv_bytes(BRON, BRON))
    before = snapshot()
    err = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_sites", str(bad), stdout=StringIO(), stderr=err)
    # manage.py exits with this status when a command raises CommandError.
    assert failure.value.returncode != 0
    assert "Ligne 3 : le code ZZ0001 figure déjà ligne 2." in err.getvalue()
    assert "Nothing was imported" in str(failure.value)
    assert snapshot() == before


def test_the_command_fails_on_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_sites", str(tmp_path / "absent.csv"))


# --- The back-office upload screen ------------------------------------------------------


def upload(data: bytes) -> dict:
    return {"file": SimpleUploadedFile("sites.csv", data, content_type="text/csv")}


def test_network_admin_imports_a_file_from_the_back_office(client, cast, imported):
    client.force_login(cast.network_admin)
    assert client.get(IMPORT_URL).status_code == 200
    response = client.post(IMPORT_URL, upload(csv_bytes(BRON, VENISSIEUX)), follow=True)
    assert response.redirect_chain[-1][0] == "/admin/lieux/"
    assert "Import terminé : 2 site(s) créé(s), 0 mis à jour." in response.content.decode()
    assert Site.objects.filter(source_code__in=["ZZ0001", "ZZ0002"]).count() == 2


def test_the_upload_screen_lists_the_errors_of_a_bad_file(client, cast, imported):
    client.force_login(cast.network_admin)
    before = snapshot()
    response = client.post(IMPORT_URL, upload(csv_bytes(BRON, BRON.replace(",4.92,", ",est,"))))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Le fichier n'a pas été importé" in page
    assert "Ligne 3 : le code ZZ0001 figure déjà ligne 2" in page
    assert snapshot() == before


def test_the_upload_screen_asks_for_a_file(client, cast):
    client.force_login(cast.network_admin)
    response = client.post(IMPORT_URL, {"file": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


@pytest.mark.parametrize("name", ["admin_a", "editor_a"])
def test_library_staff_cannot_import_sites(client, cast, imported, name):
    client.force_login(getattr(cast, name))
    before = snapshot()
    for response in (
        client.get(IMPORT_URL),
        client.post(IMPORT_URL, upload(LYON_CSV.read_bytes())),
    ):
        # Wagtail answers a PermissionDenied with a redirect to the dashboard.
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"] == reverse("wagtailadmin_home")
    assert snapshot() == before


def test_patrons_cannot_reach_the_upload_screen(client, cast):
    client.force_login(cast.patron)
    response = client.get(IMPORT_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wagtailadmin_login"))
