"""Harvesting COUNTER reports from a SUSHI server on 127.0.0.1 (real reports replayed,
synthetic exception answers): one report × one month per request, and each COUNTER
exception handled as COUNTER.md §2 says."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from connectors.models import Connector, HarvestRun, RunStatus, Schedule
from stats.models import CounterCount, CounterReport, SushiMonth, SushiSource
from stats.sushi import harvest_source, unblock_source
from tests.stats.sushi_server import (
    DATA,
    sushi_server_fixture,  # noqa: F401  (the fixture)
)

pytestmark = pytest.mark.sushi

NOW = datetime(2023, 1, 10, 3, 0, tzinfo=UTC)


def make_source(server, resource, library, *, release="5.1", reports="TR_B1", first="2022-12-01",
                timeout=5) -> SushiSource:  # fmt: skip
    connector = Connector.objects.create(
        library=library, name=f"SUSHI {release}", driver="sushi", schedule=Schedule.DAILY,
        settings={"base_url": server.url, "release": release, "customer_id": "C-42",
                  "requestor_id": "R-7", "api_key": "secret-key", "timeout": timeout},
    )  # fmt: skip
    return SushiSource.objects.create(
        connector=connector,
        resource=resource,
        reports=reports,
        first_month=date.fromisoformat(first),
    )


def state(source, report, month) -> SushiMonth:
    return SushiMonth.objects.get(source=source, report_code=report, month=month)


def report_requests(server) -> list[tuple[str, dict]]:
    return [(path, params) for path, params in server.requests() if not path.endswith("/reports")]


@pytest.fixture
def press(resources):
    return resources[0]


def test_one_month_of_one_report_per_request_imported_from_a_real_report(sushi_server, press, cast):
    sushi_server.answer("tr_b1", "2022-12", file="r51_TR_B1_sample.json")
    source = make_source(sushi_server, press, cast.library_a)
    run = harvest_source(source, now=NOW)
    assert (run.status, run.read, run.created, run.rejected) == (RunStatus.COMPLETED, 1, 1, 0)
    [(path, params)] = report_requests(sushi_server)
    assert path == "/sushi/r51/reports/tr_b1"
    assert params == {
        "customer_id": "C-42", "requestor_id": "R-7", "api_key": "secret-key",
        "begin_date": "2022-12", "end_date": "2022-12",
    }  # fmt: skip
    month = state(source, "TR_B1", date(2022, 12, 1))
    assert month.state == SushiMonth.State.IMPORTED and month.next_attempt_at is None
    assert month.report.source == "sushi" and month.report.connector == source.connector
    assert CounterCount.objects.filter(resource=press).count() == 48
    # Done: the next run asks nothing.
    harvest_source(source, now=NOW + timedelta(days=1))
    assert len(report_requests(sushi_server)) == 1


def test_master_reports_ask_for_their_attributes(sushi_server, press, cast):
    source = make_source(sushi_server, press, cast.library_a, reports="TR PR")
    harvest_source(source, now=NOW)
    asked = {
        path: params.get("attributes_to_show") for path, params in report_requests(sushi_server)
    }
    assert asked == {
        "/sushi/r51/reports/tr": "YOP|Access_Type|Access_Method",
        "/sushi/r51/reports/pr": "Access_Method",
    }


def test_never_the_current_month_nor_outside_the_servers_window(sushi_server, press, cast):
    sushi_server.answer("", None, body=[{
        "Report_ID": "TR_B1", "Report_Name": "Book Requests (Controlled)", "Release": "5.1",
        "Path": "/r51/reports/tr_b1", "First_Month_Available": "2022-10",
        "Last_Month_Available": "2022-11",
    }])  # fmt: skip
    source = make_source(sushi_server, press, cast.library_a, first="2022-08-01")
    harvest_source(source, now=NOW)
    asked = sorted(params["begin_date"] for _path, params in report_requests(sushi_server))
    assert asked == ["2022-10", "2022-11"]  # not 2022-12 (not published), nor 2023-01
    assert state(source, "TR_B1", date(2022, 8, 1)).state == SushiMonth.State.UNAVAILABLE
    waiting = state(source, "TR_B1", date(2022, 12, 1))
    assert waiting.state == SushiMonth.State.PENDING and waiting.next_attempt_at > NOW
    assert not SushiMonth.objects.filter(month__gte=date(2023, 1, 1)).exists()


def test_a_queued_report_1011_backs_off_then_partial_data_3040_is_imported_and_asked_again(
    sushi_server, press, cast
):
    sushi_server.answer(
        "tr", "2018-12", release="5", status=202, file="r5_exc_naked_1011_queued.json"
    )
    sushi_server.answer("tr", "2018-12", release="5", file="r5_TR_exc_partial_data.json")
    source = make_source(sushi_server, press, cast.library_a, release="5", reports="TR",
                         first="2018-12-01")  # fmt: skip
    now = datetime(2019, 1, 15, tzinfo=UTC)
    harvest_source(source, now=now)
    month = state(source, "TR", date(2018, 12, 1))
    assert (month.state, month.last_code) == (SushiMonth.State.WAITING, 1011)
    assert month.next_attempt_at == now + timedelta(hours=1)
    harvest_source(source, now=now + timedelta(minutes=30))  # too early: nothing asked
    assert len(report_requests(sushi_server)) == 1
    later = now + timedelta(hours=2)
    run = harvest_source(source, now=later)
    month.refresh_from_db()
    assert run.created == 1
    assert (month.state, month.last_code) == (SushiMonth.State.PARTIAL, 3040)
    assert month.next_attempt_at == later + timedelta(days=2)
    assert CounterCount.objects.filter(resource=press, report_code="TR").exists()
    assert report_requests(sushi_server)[0][0] == "/sushi/reports/tr"


def test_3030_is_an_empty_month_asked_again_a_few_times_then_final(sushi_server, press, cast):
    sushi_server.answer("tr", "2017-01", release="5",
                        file="r5_TR_proquest_ebookcentral_exception_wrapped.json")  # fmt: skip
    source = make_source(sushi_server, press, cast.library_a, release="5", reports="TR",
                         first="2017-01-01")  # fmt: skip
    now = datetime(2017, 2, 10, tzinfo=UTC)
    for week in range(4):
        harvest_source(source, now=now + timedelta(days=7 * week + 1))
    month = state(source, "TR", date(2017, 1, 1))
    assert (month.state, month.last_code, month.attempts) == (SushiMonth.State.EMPTY, 3030, 3)
    assert month.next_attempt_at is None
    january = [p for _path, p in report_requests(sushi_server) if p["begin_date"] == "2017-01"]
    assert len(january) == 3
    assert not CounterReport.objects.exists()


def test_3032_is_never_asked_again(sushi_server, press, cast):
    sushi_server.answer("ir", "2022-12", file="r51_IR_exc_in_header.json")
    source = make_source(sushi_server, press, cast.library_a, reports="IR")
    harvest_source(source, now=NOW)
    harvest_source(source, now=NOW + timedelta(days=5))
    month = state(source, "IR", date(2022, 12, 1))
    assert (month.state, month.last_code, month.next_attempt_at) == (
        SushiMonth.State.UNAVAILABLE, 3032, None,
    )  # fmt: skip
    assert len(report_requests(sushi_server)) == 1


def test_credentials_refused_stop_the_harvest_and_alert_the_network(
    sushi_server, press, cast, mailoutbox, django_capture_on_commit_callbacks
):
    sushi_server.answer("tr_j1", "2022-12", release="5", status=401,
                        file="r5_exc_2000_not_authorized.json")  # fmt: skip
    source = make_source(sushi_server, press, cast.library_a, release="5", reports="TR_J1",
                         first="2022-10-01")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        run = harvest_source(source, now=NOW)
    source.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert source.blocked == SushiSource.Block.CREDENTIALS
    assert "2000" in source.blocked_reason
    assert len(report_requests(sushi_server)) == 1  # stopped: 2022-11 and 2022-10 not asked
    [mail] = mailoutbox
    assert mail.to == [cast.network_admin.email]
    assert "identifiants refusés" in mail.subject
    again = harvest_source(source, now=NOW + timedelta(days=1))
    assert again.status == RunStatus.FAILED and len(report_requests(sushi_server)) == 1
    unblock_source(source)  # the vendor still refuses: asked again, stopped again
    harvest_source(source, now=NOW + timedelta(days=2))
    assert len(report_requests(sushi_server)) == 2
    source.refresh_from_db()
    assert source.blocked == SushiSource.Block.CREDENTIALS


def test_root_array_2010_is_refused_credentials(sushi_server, press, cast):
    sushi_server.answer("tr_b1", "2022-12", status=403, body=[
        {"Code": 2010, "Message": "Requestor is Not Authorized to Access Usage for Institution"}
    ])  # fmt: skip
    source = make_source(sushi_server, press, cast.library_a)
    harvest_source(source, now=NOW)
    source.refresh_from_db()
    assert source.blocked == SushiSource.Block.CREDENTIALS


def test_too_many_requests_1020_pauses_the_whole_server(sushi_server, press, cast):
    sushi_server.answer("tr_b1", "2022-12", status=429, headers={"Retry-After": "600"},
                        body={"Code": 1020, "Message": "Too Many Requests",
                              "Data": "10 requests per minute"})  # fmt: skip
    source = make_source(sushi_server, press, cast.library_a, first="2022-11-01")
    run = harvest_source(source, now=NOW)
    source.refresh_from_db()
    assert source.cool_down_until == NOW + timedelta(seconds=600)
    assert len(report_requests(sushi_server)) == 1 and "1020" in run.error
    harvest_source(source, now=NOW + timedelta(seconds=300))
    assert len(report_requests(sushi_server)) == 1
    month = state(source, "TR_B1", date(2022, 12, 1))
    assert month.attempts == 0 and month.next_attempt_at == source.cool_down_until


def test_insufficient_information_1030_is_a_configuration_error(sushi_server, press, cast):
    sushi_server.answer("tr_b1", "2022-12", status=400,
                        body={"Code": 1030, "Data": "platform is required",
                              "Message": "Insufficient Information"})  # fmt: skip
    source = make_source(sushi_server, press, cast.library_a)
    harvest_source(source, now=NOW)
    source.refresh_from_db()
    assert source.blocked == SushiSource.Block.CONFIG
    assert "1030" in source.blocked_reason


def test_service_unavailable_1000_and_a_silent_server_back_off(sushi_server, press, cast):
    sushi_server.answer("tr_b1", "2022-12", status=503,
                        body={"Code": 1000, "Message": "Service Not Available"})  # fmt: skip
    sushi_server.answer("tr_b1", "2022-11", stall=3)
    source = make_source(sushi_server, press, cast.library_a, first="2022-11-01", timeout=1)
    run = harvest_source(source, now=NOW)
    assert run.status == RunStatus.COMPLETED
    for month, code in ((date(2022, 12, 1), 1000), (date(2022, 11, 1), None)):
        waiting = state(source, "TR_B1", month)
        assert (waiting.state, waiting.last_code) == (SushiMonth.State.WAITING, code)
        assert waiting.next_attempt_at == NOW + timedelta(hours=1)
    assert "ne répond pas" in state(source, "TR_B1", date(2022, 11, 1)).last_message


def test_an_empty_answer_202_or_200_backs_off(sushi_server, press, cast):
    sushi_server.answer("tr_b1", "2022-12", status=202, body=b"")
    sushi_server.answer("tr_b1", "2022-11", body=b"  ")
    source = make_source(sushi_server, press, cast.library_a, first="2022-11-01")
    run = harvest_source(source, now=NOW)
    assert run.status == RunStatus.COMPLETED
    for month, status in ((date(2022, 12, 1), 202), (date(2022, 11, 1), 200)):
        waiting = state(source, "TR_B1", month)
        assert waiting.state == SushiMonth.State.WAITING
        assert waiting.next_attempt_at == NOW + timedelta(hours=1)
        assert f"HTTP {status}" in waiting.last_message
    assert not CounterReport.objects.exists()


def test_a_dead_run_does_not_block_the_connector_and_a_live_one_does(sushi_server, press, cast):
    sushi_server.answer("tr_b1", "2022-12", file="r51_TR_B1_sample.json")
    source = make_source(sushi_server, press, cast.library_a)
    long_ago = NOW - timedelta(days=1)
    dead = HarvestRun.objects.create(
        connector=source.connector, status=RunStatus.RUNNING, started_at=long_ago,
        worker="elsewhere:1", heartbeat_at=long_ago,
    )  # fmt: skip
    run = harvest_source(source, now=NOW)
    assert run.pk != dead.pk and run.status == RunStatus.COMPLETED
    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED and "interrompue" in dead.error
    assert state(source, "TR_B1", date(2022, 12, 1)).state == SushiMonth.State.IMPORTED

    live = HarvestRun.objects.create(
        connector=source.connector, status=RunStatus.RUNNING, started_at=timezone.now(),
        worker="elsewhere:1", heartbeat_at=timezone.now(),
    )  # fmt: skip
    assert harvest_source(source, now=NOW).pk == live.pk
    live.refresh_from_db()
    assert live.status == RunStatus.RUNNING


def test_parameters_ignored_3050_are_imported_and_flagged(sushi_server, press, cast):
    report = json.loads((DATA / "r51_TR_B1_sample.json").read_bytes())
    report["Report_Header"]["Exceptions"] = [
        {"Code": 3050, "Message": "Parameter Not Recognized in this Context", "Data": "foo"}
    ]
    sushi_server.answer("tr_b1", "2022-12", body=report)
    source = make_source(sushi_server, press, cast.library_a)
    harvest_source(source, now=NOW)
    month = state(source, "TR_B1", date(2022, 12, 1))
    assert month.state == SushiMonth.State.IMPORTED and month.parameters_ignored
    assert month.report.parameters_ignored


def test_a_body_sent_as_a_json_string_is_read(sushi_server, press, cast):
    text = (DATA / "r51_TR_B1_sample.json").read_text()
    sushi_server.answer("tr_b1", "2022-12", body=json.dumps(text).encode())
    source = make_source(sushi_server, press, cast.library_a)
    harvest_source(source, now=NOW)
    assert state(source, "TR_B1", date(2022, 12, 1)).state == SushiMonth.State.IMPORTED


def test_a_malformed_report_is_kept_rejected_and_the_month_fails(sushi_server, press, cast):
    report = json.loads((DATA / "r51_TR_B1_sample.json").read_bytes())
    del report["Report_Header"]["Release"]
    sushi_server.answer("tr_b1", "2022-12", body=report)
    source = make_source(sushi_server, press, cast.library_a)
    run = harvest_source(source, now=NOW)
    month = state(source, "TR_B1", date(2022, 12, 1))
    assert run.rejected == 1
    assert month.state == SushiMonth.State.FAILED
    assert month.next_attempt_at == NOW + timedelta(days=7)
    assert "Report_Header.Release est absent" in month.last_message
    assert month.report.status == CounterReport.Status.REJECTED
    assert not CounterCount.objects.exists()


def test_the_api_key_never_reaches_the_logs(sushi_server, press, cast, caplog):
    source = make_source(sushi_server, press, cast.library_a)
    with caplog.at_level("INFO", logger="httpx"):
        harvest_source(source, now=NOW)
    assert caplog.records
    assert "secret-key" not in caplog.text and "api_key=***" in caplog.text


def test_harvest_counter_due_harvests_the_due_connectors(sushi_server, press, cast, capsys):
    from django.utils import timezone

    source = make_source(sushi_server, press, cast.library_a, first="2026-01-01")
    today = timezone.localdate()
    first = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    source.first_month = first
    source.save()
    call_command("harvest_counter", "--due")
    out = capsys.readouterr().out
    assert "SUSHI 5.1" in out and "requests=1" in out
    assert HarvestRun.objects.filter(connector=source.connector).count() == 1
    call_command("harvest_counter", "--due")  # daily: not due again
    assert HarvestRun.objects.filter(connector=source.connector).count() == 1


def test_a_wrong_address_fails_the_month_and_stops_asking_that_report(sushi_server, press, cast):
    source = make_source(sushi_server, press, cast.library_a, release="5", first="2022-10-01")
    source.connector.settings["base_url"] = sushi_server.url + "/mauvais"
    source.connector.save()
    source.refresh_from_db()
    run = harvest_source(source, now=NOW)
    assert (run.read, run.rejected) == (1, 1)  # 2022-11 and 2022-10 not asked this time
    month = state(source, "TR_B1", date(2022, 12, 1))
    assert (month.state, month.last_code) == (SushiMonth.State.FAILED, 404)
    assert month.next_attempt_at == NOW + timedelta(days=7)


def test_harvest_counter_by_name_and_unknown_names(sushi_server, press, cast, capsys):
    from django.core.management.base import CommandError

    make_source(sushi_server, press, cast.library_a, first="2026-01-01")
    call_command("harvest_counter", "SUSHI 5.1")
    assert "SUSHI 5.1" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no SUSHI connector 'Inconnu'"):
        call_command("harvest_counter", "Inconnu")
    with pytest.raises(CommandError, match="give a connector"):
        call_command("harvest_counter")
