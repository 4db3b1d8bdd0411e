"""Connectors that do not harvest (SIP2, Koha ILS-DI): staff add them in the back-office,
nothing offers to harvest them, and the harvest services and command refuse them."""

import html
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from catalogue.models import Item
from connectors.mapping import PRESETS, read_items
from connectors.models import Connector, HarvestRun, Schedule
from connectors.services import (
    HarvestError,
    can_harvest_on_its_own,
    due_connectors,
    harvest_connector,
    request_harvest,
)
from tests.connectors import DATA
from tests.connectors.ilsdi_server import koha_record

ADD_URL = "/admin/connecteurs/new/"
SIP2_FORM = {
    "name": "SIP2 Koha",
    "setting_host": "sip.koha.example.org",
    "setting_port": "6001",
    "setting_institution_id": "BRON",
    "setting_login_user": "metrobib",
    "setting_login_password": "s3cret",
    "setting_encoding": "utf-8",
    "enabled": "on",
}


@pytest.fixture
def sip2(cast):
    return Connector.objects.create(
        library=cast.library_a,
        name="SIP2 Koha",
        driver="sip2",
        schedule=Schedule.MANUAL,
        settings={"host": "sip.koha.example.org", "port": 6001, "institution_id": "BRON"},
    )


def test_the_choice_of_connectors_says_what_each_kind_gives(client, cast):
    client.force_login(cast.admin_a)
    page = client.get(ADD_URL).content.decode()
    assert "?driver=sip2" in page and "?driver=ilsdi" in page
    assert (
        "Serveur SIP2 (disponibilité et comptes lecteurs)</a> — disponibilité en direct des "
        "exemplaires, connexion des lecteurs avec leur carte, prêts et réservations dans "
        "« mon compte »"
    ) in html.unescape(page)
    assert "moisson des notices et des exemplaires, disponibilité en direct" in page  # SRU


def test_a_librarian_adds_a_sip2_connector_without_schedule_or_copies_to_read(client, cast):
    client.force_login(cast.admin_a)
    form = client.get(ADD_URL + "?driver=sip2").content.decode()
    assert "setting_host" in form and "setting_institution_id" in form
    assert 'name="schedule"' not in form and 'name="item_preset"' not in form
    harvesting = client.get(ADD_URL + "?driver=sru").content.decode()
    assert 'name="schedule"' in harvesting and 'name="item_preset"' in harvesting
    response = client.post(ADD_URL + "?driver=sip2", {"library": cast.library_a.pk, **SIP2_FORM})
    assert response.status_code == 302, response.content.decode()[:3000]
    connector = Connector.objects.get()
    assert (connector.driver, connector.schedule, connector.item_mapping) == ("sip2", "manual", {})
    assert connector.settings["login_password"] == "s3cret"
    assert connector.settings["port"] == 6001


def test_a_stored_password_is_never_shown_and_kept_when_left_empty(client, cast, sip2):
    sip2.settings |= {"login_user": "metrobib", "login_password": "s3cret"}
    sip2.save()
    client.force_login(cast.admin_a)
    url = f"/admin/connecteurs/edit/{sip2.pk}/"
    page = client.get(url).content.decode()
    assert "s3cret" not in page
    data = {**SIP2_FORM, "library": cast.library_a.pk, "setting_login_password": ""}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    sip2.refresh_from_db()
    assert sip2.settings["login_password"] == "s3cret"
    data["setting_login_user"] = ""  # no account any more: no password either
    assert client.post(url, data).status_code == 302
    sip2.refresh_from_db()
    assert "login_password" not in sip2.settings and "login_user" not in sip2.settings


def test_invalid_sip2_settings_are_refused_in_french(client, cast):
    client.force_login(cast.admin_a)
    data = {**SIP2_FORM, "library": cast.library_a.pk, "setting_host": "sip2://koha:6001"}
    page = client.post(ADD_URL + "?driver=sip2", data).content.decode()
    assert "Indiquez un nom de machine ou une adresse IP" in page
    assert not Connector.objects.exists()


def test_the_page_of_a_live_connector_offers_no_harvest_and_no_upload(client, cast, sip2):
    client.force_login(cast.admin_a)
    url = reverse("connectors_harvest", args=[sip2.pk])
    page = client.get(url).content.decode()
    assert "Moissonner maintenant" not in page and "Téléverser" not in page
    assert "Ce connecteur ne moissonne pas de notices" in page
    assert "Dernières moissons" not in page
    client.post(url, {"action": "harvest"})
    assert not HarvestRun.objects.exists()
    listing = client.get("/admin/connecteurs/").content.decode()
    assert "Disponibilité en direct" in listing


def test_harvest_services_refuse_a_driver_that_does_not_harvest(sip2):
    assert not can_harvest_on_its_own(sip2)
    with pytest.raises(HarvestError, match="ne moissonne pas de notices"):
        harvest_connector(sip2)
    with pytest.raises(HarvestError, match="ne moissonne pas de notices"):
        request_harvest(sip2)
    assert not HarvestRun.objects.exists()


def test_the_harvest_command_refuses_it_and_due_harvests_skip_it(cast, sip2):
    sip2.schedule = Schedule.HOURLY  # even if scheduled by mistake
    sip2.save()
    with pytest.raises(CommandError, match="SIP2 Koha.*ne moissonne pas de notices"):
        call_command("harvest", str(sip2.pk), stdout=io.StringIO())
    assert due_connectors() == []
    call_command("harvest", "--due", stdout=io.StringIO())
    assert not HarvestRun.objects.exists()


def test_harvests_store_koha_itemnumbers_for_live_availability(cast, tmp_path):
    # The real Koha record of the GetRecords answer, as a MARCXML export.
    export = tmp_path / "koha.xml"
    answer = (DATA / "ilsdi" / "KohaFixtures_xmlGetRecordHarryPotter.xml").read_text()
    marcxml = answer.split("<marcxml>")[1].split("</marcxml>")[0]
    export.write_text(html.unescape(marcxml).strip())
    assert [i.item_id for i in read_items(koha_record(), PRESETS["koha_unimarc_995"])] == [
        "33028",
        "33029",
        "33030",
    ]
    connector = Connector.objects.create(
        library=cast.library_a,
        name="Export Koha",
        driver="marc_file",
        settings={"path": str(export)},
        item_mapping={"preset": "koha_unimarc_995"},
    )
    run = harvest_connector(connector)
    assert run.status == "completed", run.error
    assert dict(Item.objects.values_list("barcode", "source_item_id")) == {
        "2661690090": "33028",
        "2661680090": "33029",
        "2661660090": "33030",
    }
