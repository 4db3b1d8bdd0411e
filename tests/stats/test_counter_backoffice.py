"""The back-office of vendors' statistics: network administrators only."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from connectors.models import Connector
from stats.imports import import_counter_file
from stats.models import CounterReport, SushiSource

DATA = Path(__file__).resolve().parent.parent / "data" / "counter"


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (DATA / name).read_bytes())


def forbidden(response) -> bool:
    """The back-office's 403 page, saying who may see it."""
    return response.status_code == 403 and "administrateurs du réseau" in response.content.decode()


@pytest.fixture
def sushi_source(resources, cast):
    connector = Connector.objects.create(
        library=cast.library_a, name="Presse — SUSHI", driver="sushi",
        settings={"base_url": "https://sushi.example.org", "release": "5.1", "customer_id": "C"},
    )  # fmt: skip
    return SushiSource.objects.create(
        connector=connector, resource=resources[0], reports="PR_P1", first_month="2025-01-01"
    )


def test_network_admin_uploads_a_report_and_sees_its_counts(client, cast, resources):
    press, _films = resources
    client.force_login(cast.network_admin)
    response = client.post(
        reverse("stats_counter_reports"),
        {"resource": press.pk, "file": upload("r51_PR_P1_sample.tsv")},
    )
    report = CounterReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("stats_counter_report", args=[report.pk])
    assert report.status == CounterReport.Status.IMPORTED
    assert report.created_by == cast.network_admin
    page = client.get(response["Location"]).content.decode()
    assert "Rapport PR_P1 (COUNTER 5.1) importé : 612 comptage(s) mensuel(s)." in page
    assert "janvier 2022" in page
    assert "Accès au contenu (total)" in page
    listing = client.get(reverse("stats_counter_reports")).content.decode()
    assert press.name in listing and "PR_P1" in listing


def test_a_rejected_upload_shows_its_french_reason(client, cast, resources):
    press, _films = resources
    client.force_login(cast.network_admin)
    response = client.post(
        reverse("stats_counter_reports"),
        {"resource": press.pk, "file": upload("r51_IR_exc_in_header.json")},
        follow=True,
    )
    page = response.content.decode()
    assert "Rapport refusé, rien n&#x27;a changé : Aucune donnée d&#x27;usage" in page
    assert "3032" in page
    report = CounterReport.objects.get()
    assert report.status == CounterReport.Status.REJECTED
    rejected = client.get(reverse("stats_counter_reports"), {"etat": "rejected"})
    assert "3032" in rejected.content.decode()


def test_an_unknown_format_is_refused_by_the_form(client, cast, resources):
    client.force_login(cast.network_admin)
    response = client.post(
        reverse("stats_counter_reports"),
        {"resource": resources[0].pk, "file": SimpleUploadedFile("rapport.pdf", b"%PDF")},
    )
    assert response.status_code == 200
    assert "Format non pris en charge" in response.content.decode()
    assert not CounterReport.objects.exists()


def test_the_kept_file_can_be_downloaded_and_read_again(client, cast, resources):
    report = import_counter_file(
        resources[0], (DATA / "r5_TR_B3_sample.tsv").read_bytes(), file_name="b3.tsv"
    )
    client.force_login(cast.network_admin)
    url = reverse("stats_counter_report", args=[report.pk])
    download = client.get(url, {"fichier": "1"})
    assert download.content == (DATA / "r5_TR_B3_sample.tsv").read_bytes()
    response = client.post(url, {"action": "reimporter"})
    again = CounterReport.objects.exclude(pk=report.pk).get()
    assert response["Location"] == reverse("stats_counter_report", args=[again.pk])


def test_network_admin_sees_the_sushi_state(client, cast, sushi_source):
    client.force_login(cast.network_admin)
    page = client.get(reverse("stats_sushi_sources")).content.decode()
    assert "Presse — SUSHI" in page
    detail = client.get(reverse("stats_sushi_source", args=[sushi_source.pk]))
    assert detail.status_code == 200


def test_network_admin_links_a_sushi_connector_to_a_resource(client, cast, resources):
    connector = Connector.objects.create(
        library=cast.library_a, name="Films — SUSHI", driver="sushi",
        settings={"base_url": "https://sushi.example.org", "customer_id": "C"},
    )  # fmt: skip
    client.force_login(cast.network_admin)
    response = client.post(
        reverse("stats_sushi_sources"),
        {"connector": connector.pk, "resource": resources[1].pk, "reports": "pr_p1, tr_b1",
         "first_month": "2025-03-14"},
    )  # fmt: skip
    source = SushiSource.objects.get()
    assert response["Location"] == reverse("stats_sushi_source", args=[source.pk])
    assert source.reports == "PR_P1 TR_B1"
    assert source.first_month.isoformat() == "2025-03-01"


@pytest.mark.parametrize("role", ["admin_a", "editor_a"])
def test_library_staff_cannot_open_the_vendor_statistics(
    client, cast, resources, role, sushi_source
):
    report = import_counter_file(
        resources[0], (DATA / "r5_TR_B1_sample.json").read_bytes(), file_name="a.json"
    )
    client.force_login(getattr(cast, role))
    for url in (
        reverse("stats_counter_reports"),
        reverse("stats_counter_report", args=[report.pk]),
        reverse("stats_counter_report", args=[report.pk]) + "?fichier=1",
        reverse("stats_sushi_sources"),
        reverse("stats_sushi_source", args=[sushi_source.pk]),
    ):
        assert forbidden(client.get(url)), url
    response = client.post(
        reverse("stats_counter_reports"),
        {"resource": resources[0].pk, "file": upload("r51_PR_P1_sample.tsv")},
    )
    assert forbidden(response)
    assert CounterReport.objects.count() == 1
    assert forbidden(
        client.post(reverse("stats_sushi_source", args=[sushi_source.pk]), {"action": "reprendre"})
    )


def test_network_admin_adds_a_sushi_connector_with_checked_settings(client, cast):
    client.force_login(cast.network_admin)
    add = "/admin/connecteurs/new/?driver=sushi"
    assert "setting_api_key" in client.get(add).content.decode()
    data = {
        "library": cast.library_a.pk, "name": "Cairn — SUSHI", "schedule": "daily",
        "enabled": "on", "setting_base_url": "https://sushi.example.org/c5?api_key=K",
        "setting_release": "5.1", "setting_customer_id": "C-1", "setting_api_key": "K",
    }  # fmt: skip
    response = client.post(add, data)
    assert response.status_code == 200
    assert "ne doit pas contenir « api_key »" in response.content.decode()
    data["setting_base_url"] = "https://sushi.example.org/c5"
    assert client.post(add, data).status_code == 302
    connector = Connector.objects.get()
    assert connector.settings == {
        "base_url": "https://sushi.example.org/c5", "release": "5.1", "customer_id": "C-1",
        "api_key": "K", "timeout": 30,
    }  # fmt: skip
    assert connector.driver_class.supports("usage_reports")
