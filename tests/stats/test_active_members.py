"""Active members: entered in the back-office (each library's administrators for their
own library only) and imported from a CSV file, all or nothing."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from stats import services
from stats.models import ActiveMembers

INDEX = "/admin/inscrits-actifs/"
IMPORT = "/admin/statistiques/inscrits-actifs/importer/"


def upload(client, text: str, encoding="utf-8-sig"):
    data = text.encode(encoding)
    return client.post(IMPORT, {"file": SimpleUploadedFile("inscrits.csv", data, "text/csv")})


def test_network_admin_enters_members_of_any_library(client, cast):
    client.force_login(cast.network_admin)
    response = client.post(
        f"{INDEX}new/", {"library": cast.library_b.pk, "year": 2025, "count": 4200}
    )
    assert response.status_code == 302
    assert ActiveMembers.objects.get(library=cast.library_b, year=2025).count == 4200


def test_library_admin_enters_their_own_librarys_members_only(client, cast):
    client.force_login(cast.admin_a)
    form = client.get(f"{INDEX}new/").context["form"]
    assert list(form.fields["library"].queryset) == [cast.library_a]
    refused = client.post(f"{INDEX}new/", {"library": cast.library_b.pk, "year": 2025, "count": 9})
    assert refused.status_code == 200
    assert not ActiveMembers.objects.exists()
    client.post(f"{INDEX}new/", {"library": cast.library_a.pk, "year": 2025, "count": 900})
    assert ActiveMembers.objects.get().count == 900


def test_library_admin_cannot_edit_another_librarys_members(client, cast):
    other = ActiveMembers.objects.create(library=cast.library_b, year=2025, count=100)
    client.force_login(cast.admin_a)
    response = client.post(
        f"{INDEX}edit/{other.pk}/", {"library": cast.library_a.pk, "year": 2025, "count": 1}
    )
    assert response.status_code == 404
    other.refresh_from_db()
    assert (other.library, other.count) == (cast.library_b, 100)
    listed = client.get(INDEX).content.decode()
    assert f"{INDEX}edit/{other.pk}/" not in listed


def test_library_editor_has_no_access_to_members(client, cast):
    ActiveMembers.objects.create(library=cast.library_a, year=2025, count=100)
    client.force_login(cast.editor_a)
    assert client.get(INDEX).status_code in (302, 403)
    assert client.get(IMPORT).status_code == 403


def test_a_year_to_come_is_refused(client, cast):
    client.force_login(cast.network_admin)
    response = client.post(f"{INDEX}new/", {"library": cast.library_a.pk, "year": 2999, "count": 1})
    assert "Une année de 2000 à" in response.content.decode()


def test_import_creates_and_updates_by_identifier_or_name(client, cast):
    ActiveMembers.objects.create(library=cast.library_a, year=2024, count=1)
    client.force_login(cast.network_admin)
    response = upload(
        client,
        "bibliothèque;année;inscrits actifs\n"
        "bron;2024;5 120\n"
        "Bibliothèques de Vénissieux;2024;7300\n"
        "BIBLIOTHEQUES DE VENISSIEUX;2025;7400\n",
    )
    assert response.status_code == 302
    counts = {(m.library.slug, m.year): m.count for m in ActiveMembers.objects.all()}
    assert counts == {("bron", 2024): 5120, ("venissieux", 2024): 7300, ("venissieux", 2025): 7400}


def test_import_without_header_in_windows_1252_with_commas(client, cast):
    client.force_login(cast.network_admin)
    upload(client, "Bibliothèques de Bron,2025,5000\n", encoding="cp1252")
    assert ActiveMembers.objects.get().count == 5000


def test_import_refuses_the_whole_file_with_a_french_error_per_line(client, cast):
    ActiveMembers.objects.create(library=cast.library_a, year=2024, count=1)
    client.force_login(cast.network_admin)
    response = upload(
        client,
        "bibliothèque;année;inscrits actifs\n"
        "bron;2024;5000\n"
        "Médiathèque inconnue;2024;10\n"
        "venissieux;deux mille;10\n"
        "venissieux;2024;-3\n"
        "bron;2024;6000\n"
        "venissieux\n",
    )
    assert response.status_code == 200
    errors = response.context["errors"]
    assert errors == [
        "Ligne 3 : bibliothèque « Médiathèque inconnue » inconnue (son identifiant ou son nom).",
        f"Ligne 4 : année « deux mille » invalide (de 2000 à {date.today().year}).",
        "Ligne 5 : nombre d'inscrits actifs « -3 » invalide (un entier positif).",
        "Ligne 6 : Bibliothèques de Bron, 2024 figure déjà à la ligne 2.",
        "Ligne 7 : il faut trois colonnes : bibliothèque, année, nombre d'inscrits actifs.",
    ]
    assert "Rien n'a été importé" in response.content.decode()
    assert ActiveMembers.objects.get().count == 1  # line 2 was valid: not imported either


def test_library_admin_imports_their_own_library_only(cast):
    with pytest.raises(services.ActiveMembersImportError) as refused:
        services.import_active_members(b"bron;2025;10\nvenissieux;2025;20\n", actor=cast.admin_a)
    assert refused.value.errors == [
        "Ligne 2 : vous ne pouvez pas saisir les inscrits de Bibliothèques de Vénissieux."
    ]
    assert not ActiveMembers.objects.exists()
    result = services.import_active_members(b"bron;2025;10\n", actor=cast.admin_a)
    assert (result.created, result.updated) == (1, 0)


def test_an_empty_file_is_refused(cast):
    with pytest.raises(services.ActiveMembersImportError) as refused:
        services.import_active_members(b"\n\n", actor=cast.network_admin)
    assert refused.value.errors == ["Le fichier ne contient aucune ligne."]
