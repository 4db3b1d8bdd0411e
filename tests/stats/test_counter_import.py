"""Importing COUNTER reports: replaced counts, rejected files kept, warnings, the selector."""

import json
from datetime import date
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction

from stats.imports import CounterImportError, import_counter_file, reimport_report
from stats.models import CounterCount, CounterReport
from stats.selectors import vendor_monthly_counts

DATA = Path(__file__).resolve().parent.parent / "data" / "counter"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def january_tir(resource) -> int:
    return sum(
        CounterCount.objects.filter(
            resource=resource, month=date(2022, 1, 1), metric_type="Total_Item_Requests"
        ).values_list("count", flat=True)
    )


def test_an_imported_report_keeps_its_file_and_counts(resources, cast):
    press, _films = resources
    report = import_counter_file(
        press, sample("r51_TR_B1_sample.json"), file_name="tr_b1.json", actor=cast.network_admin
    )
    assert report.status == CounterReport.Status.IMPORTED
    assert (report.report_code, report.release, report.rows) == ("TR_B1", "5.1", 48)
    assert (report.begin_month, report.end_month) == (date(2022, 1, 1), date(2022, 12, 1))
    assert report.platform == "Platform 1"
    assert bytes(report.payload) == sample("r51_TR_B1_sample.json")
    assert report.created_by == cast.network_admin
    assert january_tir(press) == 662 + 987


def test_reimporting_the_same_months_replaces_the_counts(resources):
    press, _films = resources
    first = import_counter_file(press, sample("r51_TR_B1_sample.json"), file_name="a.json")
    changed = json.loads(sample("r51_TR_B1_sample.json"))
    months = changed["Report_Items"][0]["Attribute_Performance"][0]["Performance"]
    months["Total_Item_Requests"]["2022-01"] = 1000
    second = import_counter_file(press, json.dumps(changed).encode(), file_name="b.json")
    assert january_tir(press) == 1000 + 987
    assert CounterCount.objects.filter(resource=press).count() == 48
    assert not CounterCount.objects.filter(report=first).exists()
    first.refresh_from_db()
    assert first.status == CounterReport.Status.REPLACED
    assert second.status == CounterReport.Status.IMPORTED


def test_the_excel_form_replaces_the_json_form_of_the_same_report(resources):
    press, _films = resources
    import_counter_file(press, sample("r51_TR_B1_sample.json"), file_name="a.json")
    import_counter_file(press, sample("r51_TR_B1_sample.xlsx"), file_name="a.xlsx")
    assert CounterCount.objects.filter(resource=press).count() == 48
    assert january_tir(press) == 662 + 987


def test_another_release_or_another_resource_is_kept_apart(resources):
    press, films = resources
    import_counter_file(press, sample("r51_TR_B1_sample.json"), file_name="a.json")
    import_counter_file(films, sample("r51_TR_B1_sample.json"), file_name="a.json")
    import_counter_file(press, sample("r5_TR_B1_sample.json"), file_name="r5.json")
    assert CounterCount.objects.filter(resource=press, release="5.1").count() == 48
    assert CounterCount.objects.filter(resource=films).count() == 48
    assert CounterCount.objects.filter(resource=press, release="5").count() == 2


def test_a_malformed_report_changes_nothing_and_is_kept_with_its_reason(resources):
    press, _films = resources
    import_counter_file(press, sample("r51_TR_B1_sample.json"), file_name="a.json")
    broken = json.loads(sample("r51_TR_B1_sample.json"))
    del broken["Report_Header"]["Release"]
    payload = json.dumps(broken).encode()
    report = import_counter_file(press, payload, file_name="broken.json")
    assert report.status == CounterReport.Status.REJECTED
    assert report.error.startswith(
        "Le rapport ne respecte pas le schéma COUNTER 5.1 : Report_Header.Release est absent"
    )
    assert bytes(report.payload) == payload
    assert not report.counts.exists()
    assert january_tir(press) == 662 + 987
    assert CounterReport.objects.filter(status=CounterReport.Status.IMPORTED).count() == 1


def test_a_reply_with_only_an_exception_is_rejected_with_it(resources):
    press, _films = resources
    report = import_counter_file(press, sample("r5_exc_2000_not_authorized.json"), file_name="x")
    assert report.status == CounterReport.Status.REJECTED
    assert report.exceptions[0]["Code"] == 2000
    assert "2000 Demandeur non autorisé" in report.error


def test_an_empty_file_is_refused_before_anything_is_stored(resources):
    press, _films = resources
    with pytest.raises(CounterImportError, match="Le fichier est vide"):
        import_counter_file(press, b"", file_name="vide.json")
    assert not CounterReport.objects.exists()


def test_consistency_warnings_are_stored_with_the_report(resources):
    press, _films = resources
    report = import_counter_file(press, sample("r5_TR_example.csv"), file_name="tr.csv")
    assert report.status == CounterReport.Status.IMPORTED
    assert any("Unique_Item_Requests dépasse Total_Item_Requests" in w for w in report.warnings)


def test_parameters_ignored_are_flagged(resources):
    press, _films = resources
    report = json.loads(sample("r5_TR_B1_sample.json"))
    report["Report_Header"]["Exceptions"] = [
        {"Code": 3062, "Severity": "Warning", "Message": "Invalid ReportAttribute Value"}
    ]
    imported = import_counter_file(press, json.dumps(report).encode(), file_name="f.json")
    assert imported.parameters_ignored
    assert imported.exceptions == [{"Code": 3062, "Message": "Invalid ReportAttribute Value"}]


def test_an_empty_report_clears_its_period(resources):
    press, _films = resources
    import_counter_file(press, sample("r51_TR_B1_sample.json"), file_name="a.json")
    empty = (
        sample("r51_TR_empty.tsv").decode("utf-8-sig").replace("Report_ID\tTR", "Report_ID\tTR_B1")
    )
    report = import_counter_file(press, empty.encode(), file_name="vide.tsv")
    assert report.status == CounterReport.Status.IMPORTED
    assert report.rows == 0
    assert not CounterCount.objects.filter(resource=press).exists()


def test_reimport_reads_the_kept_file_again(resources):
    press, _films = resources
    report = import_counter_file(press, sample("r5_TR_B3_sample.tsv"), file_name="b3.tsv")
    again = reimport_report(report)
    assert again.pk != report.pk and again.rows == report.rows == 6
    report.refresh_from_db()
    assert report.status == CounterReport.Status.REPLACED


def test_counts_cannot_be_negative_in_the_database(resources):
    press, _films = resources
    report = import_counter_file(press, sample("r5_TR_B1_sample.json"), file_name="a.json")
    with pytest.raises(IntegrityError), transaction.atomic():
        CounterCount.objects.create(
            report=report, resource=press, report_code="TR_B1", release="5",
            month=date(2016, 1, 1), metric_type="Total_Item_Requests", count=-1,
        )  # fmt: skip


def test_vendor_monthly_counts_prefers_the_platform_report(resources):
    press, films = resources
    import_counter_file(press, sample("r51_TR_B1_sample.json"), file_name="tr.json")
    import_counter_file(films, sample("r51_PR_P1_sample.tsv"), file_name="pr.tsv")
    import_counter_file(films, sample("r51_TR_B1_sample.json"), file_name="tr.json")
    counts = vendor_monthly_counts(2022)
    assert counts[press.pk][1] == {"Total_Item_Requests": 662 + 987}
    january = counts[films.pk][1]
    assert set(january) == {"Total_Item_Requests", "Unique_Item_Requests", "Searches_Platform"}
    pr = CounterCount.objects.filter(
        resource=films, report_code="PR_P1", month=date(2022, 1, 1),
        metric_type="Total_Item_Requests",
    )  # fmt: skip
    assert january["Total_Item_Requests"] == sum(pr.values_list("count", flat=True))
    assert vendor_monthly_counts(2021) == {}
    assert set(vendor_monthly_counts(2022, resources=[press.pk])) == {press.pk}


def test_the_demo_imports_two_real_sample_reports_once(db):
    from digital.demo import load_demo_resources
    from stats.counter_demo import load_demo_counter

    load_demo_resources()
    assert load_demo_counter() == 2
    assert load_demo_counter() == 2
    imported = CounterReport.objects.filter(status=CounterReport.Status.IMPORTED)
    assert {(r.resource.slug, r.report_code) for r in imported} == {
        ("europresse", "DR_D1"),
        ("la-mediatheque-numerique", "PR_P1"),
    }
    assert all(not r.warnings for r in imported)
