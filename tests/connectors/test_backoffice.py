"""The back-office side of harvesting: adding a connector, harvesting now, uploading an
export, the quarantine, and the network's monitoring page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalogue.models import Record
from connectors.models import Connector, HarvestRun, RunStatus, SourceRecord
from connectors.services import harvest_connector
from tests.accounts.test_isolation import forbidden
from tests.connectors import DATA

ADD_URL = "/admin/connecteurs/new/"


def test_adding_a_connector_starts_by_choosing_its_kind(client, cast):
    client.force_login(cast.admin_a)
    page = client.get(ADD_URL).content.decode()
    assert "Quel système relier ?" in page
    assert "?driver=oai_pmh" in page and "?driver=marc_file" in page


def test_a_librarian_adds_an_oai_pmh_connector_with_validated_settings(client, cast):
    client.force_login(cast.admin_a)
    form = client.get(ADD_URL + "?driver=oai_pmh").content.decode()
    assert "setting_base_url" in form
    data = {
        "library": cast.library_a.pk,
        "name": "Koha",
        "setting_base_url": "ftp://example.org/oai",
        "setting_metadata_prefix": "marcxml",
        "schedule": "daily",
        "enabled": "on",
    }
    response = client.post(ADD_URL + "?driver=oai_pmh", data)
    assert response.status_code == 200
    assert not Connector.objects.exists()
    data["setting_base_url"] = "https://koha.example.org/cgi-bin/koha/oai.pl"
    response = client.post(ADD_URL + "?driver=oai_pmh", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    connector = Connector.objects.get()
    assert connector.driver == "oai_pmh"
    assert connector.settings["base_url"] == "https://koha.example.org/cgi-bin/koha/oai.pl"
    assert connector.library == cast.library_a


def test_a_librarian_cannot_add_a_connector_to_another_library(client, cast):
    client.force_login(cast.admin_a)
    data = {"library": cast.library_b.pk, "name": "Intrus", "schedule": "daily"}
    response = client.post(ADD_URL + "?driver=demo", {**data, "setting_export": "unimarc"})
    assert response.status_code == 200  # the form refuses the other library
    assert not Connector.objects.exists()


@pytest.fixture
def connector(cast):
    return Connector.objects.create(
        library=cast.library_a,
        name="Export",
        driver="marc_file",
        item_mapping={"preset": "koha_unimarc_995"},
    )


def test_uploading_an_export_harvests_it_and_shows_the_counts(
    client, cast, connector, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.HARVEST_UPLOAD_DIR = tmp_path
    client.force_login(cast.admin_a)
    url = reverse("connectors_harvest", args=[connector.pk])
    upload = SimpleUploadedFile("export.mrc", (DATA / "marc" / "cotes8.mrc").read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "upload", "file": upload, "complete": "on"})
    assert response.status_code == 302
    run = connector.runs.get()  # run at once by the tests' immediate task backend
    assert run.status == RunStatus.COMPLETED, run.error
    assert (run.read, run.created) == (35, 35)
    page = client.get(url).content.decode()
    assert "Dernières moissons" in page and ">35<" in page
    assert "751072303" in page  # the unknown site code is reported
    first_upload = connector.runs.get().source_file
    upload = SimpleUploadedFile("export2.mrc", (DATA / "marc" / "cotes8.mrc").read_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "upload", "file": upload, "complete": "on"})
    latest = connector.runs.order_by("-pk").first()
    assert latest.unchanged == 35
    uploads = list((tmp_path / str(connector.pk)).iterdir())
    assert [str(u) for u in uploads] == [latest.source_file] != [first_upload]


def test_harvest_now_queues_one_run_at_a_time(client, cast, connector, tmp_path):
    connector.settings = {"path": str(DATA / "marc" / "cotes8.mrc")}
    connector.save()
    HarvestRun.objects.create(connector=connector, status=RunStatus.RUNNING)
    client.force_login(cast.admin_a)
    url = reverse("connectors_harvest", args=[connector.pk])
    response = client.post(url, {"action": "harvest"}, follow=True)
    assert "déjà en attente ou en cours" in response.content.decode()
    assert connector.runs.count() == 1


def test_editors_see_harvests_but_do_not_start_them(client, cast, connector):
    client.force_login(cast.editor_a)
    url = reverse("connectors_harvest", args=[connector.pk])
    assert client.get(url).status_code == 200
    assert "Moissonner maintenant" not in client.get(url).content.decode()
    assert forbidden(client.post(url, {"action": "harvest"}))
    assert not connector.runs.exists()


def test_another_librarys_harvest_page_does_not_exist(client, cast, connector):
    client.force_login(cast.admin_b)
    assert client.get(reverse("connectors_harvest", args=[connector.pk])).status_code == 404


def test_quarantined_records_are_listed_with_their_reason_and_downloadable(client, cast):
    connector = Connector.objects.create(
        library=cast.library_a,
        name="Export",
        driver="marc_file",
        settings={"path": str(DATA / "marc" / "bad_records.mrc")},
    )
    run = harvest_connector(connector)
    assert run.rejected > 0
    rejected = SourceRecord.objects.exclude(rejected_reason="").first()
    client.force_login(cast.editor_a)
    listing = client.get("/admin/quarantaine/").content.decode()
    assert rejected.rejected_reason in listing.replace("&#x27;", "'")
    download = client.get(reverse("connectors_download_record", args=[rejected.pk]))
    assert download.status_code == 200
    assert download.content == bytes(rejected.payload)
    assert "attachment" in download["Content-Disposition"]
    client.force_login(cast.editor_b)
    assert client.get(reverse("connectors_download_record", args=[rejected.pk])).status_code == 404


def test_the_network_sees_each_librarys_catalogue_and_last_harvest(client, cast):
    connector = Connector.objects.create(
        library=cast.library_a, name="Export", driver="marc_file",
        settings={"path": str(DATA / "marc" / "cotes8.mrc")},
    )  # fmt: skip
    harvest_connector(connector)
    client.force_login(cast.network_admin)
    page = client.get(reverse("connectors_monitoring")).content.decode()
    assert "Bibliothèques de Bron" in page
    assert f"<td>{Record.objects.count()}</td>" in page
    assert "jamais" in page  # Vénissieux never harvested
    client.force_login(cast.admin_a)
    assert forbidden(client.get(reverse("connectors_monitoring")))


def test_a_file_connector_without_a_path_is_harvested_by_uploading_only(client, cast, connector):
    client.force_login(cast.admin_a)
    url = reverse("connectors_harvest", args=[connector.pk])
    page = client.get(url).content.decode()
    assert "Moissonner maintenant" not in page
    assert "Téléverser et moissonner" in page
    client.post(url, {"action": "harvest"})
    assert not connector.runs.exists()
    form = {
        "library": cast.library_a.pk, "name": "Nuit", "schedule": "daily", "enabled": "on",
        "setting_batch_size": "1000",
    }  # fmt: skip
    response = client.post(ADD_URL + "?driver=marc_file", form)
    assert "À la demande seulement" in response.content.decode()
    assert not Connector.objects.filter(name="Nuit").exists()


def test_the_quarantine_is_filtered_by_the_users_own_connectors(client, cast, connector):
    other = Connector.objects.create(library=cast.library_b, name="Koha B", driver="demo")
    client.force_login(cast.admin_a)
    page = client.get("/admin/quarantaine/").content.decode()
    assert "<h1" in page and "Quarantaine" in page
    assert connector.name in page  # a choice of the connector filter
    assert other.name not in page
    assert "/admin/quarantaine/new/" not in page  # records come from harvests only
