"""Reading COUNTER reports: every real sample, every vendor quirk, the French errors."""

import json
from datetime import date
from pathlib import Path

import pytest

from stats.counter import codes
from stats.counter.normalise import normalise
from stats.counter.reading import read_file, read_json
from stats.counter.report import CounterError, NoUsageData
from stats.counter.vocabulary import canonical

DATA = Path(__file__).resolve().parent.parent / "data" / "counter"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def sample_json(name: str) -> dict:
    return json.loads(sample(name))


# name -> (report id, release, rows, first month, last month)
READABLE = {
    "r51_PR_sample.json": ("PR", "5.1", 2424, date(2022, 1, 1), date(2022, 12, 1)),
    "r51_PR_P1_sample.tsv": ("PR_P1", "5.1", 612, date(2022, 1, 1), date(2022, 12, 1)),
    "r51_TR_B1_sample.json": ("TR_B1", "5.1", 48, date(2022, 1, 1), date(2022, 12, 1)),
    "r51_TR_B1_sample.xlsx": ("TR_B1", "5.1", 48, date(2022, 1, 1), date(2022, 12, 1)),
    "r51_DR_D1_sample.json": ("DR_D1", "5.1", 228, date(2022, 1, 1), date(2022, 12, 1)),
    "r51_IR_sample.json": ("IR", "5.1", 3120, date(2022, 1, 1), date(2022, 12, 1)),
    "r5_TR_B1_sample.json": ("TR_B1", "5", 2, date(2016, 1, 1), date(2016, 3, 1)),
    "r5_PR_P1_sample.json": ("PR_P1", "5", 12, date(2016, 1, 1), date(2016, 3, 1)),
    "r5_TR_B3_sample.tsv": ("TR_B3", "5", 6, date(2016, 1, 1), date(2016, 3, 1)),
    "r5_TR_example.csv": ("TR", "5", 24, date(2017, 1, 1), date(2017, 6, 1)),
    "r5_TR_exc_partial_data.json": ("TR", "5", 12, date(2017, 1, 1), date(2018, 12, 1)),
    # No usage: read, with the 3030 the vendor sent or that an empty reply stands for.
    "r5_TR_empty_items_no_exception.json": ("TR", "5", 0, date(2018, 11, 1), date(2018, 11, 1)),
    "r51_TR_empty.tsv": ("TR", "5.1", 0, date(2022, 1, 1), date(2022, 12, 1)),
    "r5_TR_proquest_ebookcentral_exception_wrapped.json": (
        "TR", "5", 0, date(2017, 1, 1), date(2017, 1, 1),
    ),
}  # fmt: skip
ONLY_EXCEPTIONS = {
    "r51_IR_exc_in_header.json": 3032,
    "r5_exc_2000_not_authorized.json": 2000,
    "r5_exc_naked_1011_queued.json": 1011,
}


def test_every_sample_file_is_covered():
    assert {p.name for p in DATA.iterdir()} == set(READABLE) | set(ONLY_EXCEPTIONS)


@pytest.mark.parametrize("name", sorted(READABLE))
def test_each_real_report_is_read(name):
    report_id, release, rows, first, last = READABLE[name]
    parsed = read_file(sample(name), name)
    assert (parsed.report_id, parsed.release, len(parsed.rows)) == (report_id, release, rows)
    assert (parsed.months()[0], parsed.months()[-1]) == (first, last)
    assert all(row.count > 0 for row in parsed.rows)
    if not rows:
        assert parsed.codes() >= codes.EMPTY


@pytest.mark.parametrize("name", sorted(ONLY_EXCEPTIONS))
def test_a_reply_with_only_exceptions_is_no_usage_data(name):
    with pytest.raises(NoUsageData) as raised:
        read_file(sample(name), name)
    assert [e.code for e in raised.value.exceptions] == [ONLY_EXCEPTIONS[name]]
    assert raised.value.message.startswith("Aucune donnée d'usage, exception COUNTER : ")


def test_r51_tr_b1_counts_are_the_samples():
    parsed = read_file(sample("r51_TR_B1_sample.json"), "x.json")
    january = {
        (r.title, r.metric_type): r.count for r in parsed.rows if r.month == date(2022, 1, 1)
    }
    assert january[("Title 1", "Total_Item_Requests")] == 662
    row = next(r for r in parsed.rows if r.title == "Title 1")
    assert (row.data_type, row.yop, row.item_id) == ("Book", "2022", "DOI:10.9999/xxxxt01")
    assert row.access_type == "Controlled"  # from Report_Filters: the SV's one value
    assert row.access_method == "Regular"


def test_json_and_excel_forms_of_one_report_give_the_same_counts():
    as_json = read_file(sample("r51_TR_B1_sample.json"), "a.json")
    as_xlsx = read_file(sample("r51_TR_B1_sample.xlsx"), "a.xlsx")
    assert {r.key(): r.count for r in as_json.rows} == {r.key(): r.count for r in as_xlsx.rows}


def test_r5_and_r51_values_map_to_one_vocabulary():
    assert canonical("access_type", "OA_Gold") == "Open"
    assert canonical("access_type", "Other_Free_To_Read") == "Free_To_Read"
    assert canonical("data_type", "book") == "Book"
    assert canonical("data_type", "Database") == "Database"  # R5 only, kept
    unknown = set()
    assert canonical("data_type", "ebook", unknown) == "ebook"
    assert unknown == {("Data_Type", "ebook")}
    assert canonical("metric_type", "Vendor:Link_Out", unknown) == "Vendor:Link_Out"
    assert len(unknown) == 1  # a namespaced custom metric is allowed (CoP §11)


def test_r5_oa_gold_rows_are_stored_as_open():
    report = sample_json("r5_TR_B1_sample.json")
    report["Report_Items"][0]["Access_Type"] = "OA_Gold"
    parsed = read_json(json.dumps(report))
    assert {r.access_type for r in parsed.rows} == {"Open"}


def test_r5_tabular_without_data_type_column_takes_the_filters_one():
    parsed = read_file(sample("r5_TR_B3_sample.tsv"), "b3.tsv")
    assert {r.data_type for r in parsed.rows} == {"Book"}
    assert {r.access_method for r in parsed.rows} == {"Regular"}
    assert {r.month for r in parsed.rows} == {date(2016, 3, 1)}  # zero months dropped


def test_loose_csv_reporting_period_and_consistency_warnings():
    parsed = read_file(sample("r5_TR_example.csv"), "example.csv")
    warnings = " ".join(parsed.warnings)
    assert "Unique_Item_Requests dépasse Total_Item_Requests dans 6 cas" in warnings
    assert "Unique_Item_Investigations dépasse Total_Item_Investigations" in warnings
    assert "Total_Item_Requests dépasse Total_Item_Investigations" in warnings


def test_a_consistent_report_gives_no_warning():
    assert read_file(sample("r51_IR_sample.json"), "ir.json").warnings == []


def test_partial_data_is_read_with_its_exceptions_and_the_tolerated_severity():
    parsed = read_file(sample("r5_TR_exc_partial_data.json"), "p.json")
    assert parsed.codes() == {3040, 3210}
    assert any("Severity" in w and "toléré" in w for w in parsed.warnings)
    assert any(w.startswith("Exception 3040 (Données partielles)") for w in parsed.warnings)


# ----------------------------------------------------------------- malformed reports


def test_missing_release_is_a_clear_french_error_with_its_path():
    report = sample_json("r51_TR_B1_sample.json")
    del report["Report_Header"]["Release"]
    with pytest.raises(CounterError) as raised:
        read_json(json.dumps(report))
    assert raised.value.message.startswith(
        "Le rapport ne respecte pas le schéma COUNTER 5.1 : Report_Header.Release est absent"
    )


def test_a_count_that_is_not_a_number_names_its_path():
    report = sample_json("r51_TR_B1_sample.json")
    performance = report["Report_Items"][1]["Attribute_Performance"][0]["Performance"]
    performance["Total_Item_Requests"]["2022-03"] = "beaucoup"
    with pytest.raises(CounterError) as raised:
        read_json(json.dumps(report))
    message = raised.value.message
    assert message.startswith("Le rapport ne respecte pas le schéma COUNTER 5.1 : ")
    assert "Report_Items[1].Attribute_Performance[0].Performance" in message
    assert '"beaucoup"' in message


def test_a_negative_r5_count_is_refused():
    report = sample_json("r5_TR_B1_sample.json")
    report["Report_Items"][0]["Performance"][0]["Instance"][0]["Count"] = -3
    with pytest.raises(CounterError) as raised:
        read_json(json.dumps(report))
    assert "Report_Items[0].Performance[0].Instance[0].Count vaut -3" in raised.value.message
    assert "un compte ne peut pas être négatif" in raised.value.message


def test_an_unsupported_release_is_refused():
    report = sample_json("r5_TR_B1_sample.json")
    report["Report_Header"]["Release"] = "4"
    with pytest.raises(CounterError, match="Version COUNTER « 4 » non prise en charge"):
        read_json(json.dumps(report))


def test_broken_json_says_where():
    with pytest.raises(CounterError, match=r"n'est pas un JSON valide : .*ligne 1, colonne"):
        read_file(b'{"Report_Header": ', "x.json")


def test_a_spreadsheet_that_is_not_counter_is_refused():
    with pytest.raises(CounterError, match="aucune ligne d'en-têtes de colonnes ne contient"):
        read_file("nom;prénom\nDupont;Jean\n".encode(), "lecteurs.csv")


def test_a_tabular_count_that_is_not_a_number_names_its_line_and_column():
    text = (
        sample("r5_TR_B3_sample.tsv")
        .decode("utf-8-sig")
        .replace("\t10\t0\t0\t10", "\t10\tx\t0\t10")
    )
    with pytest.raises(CounterError, match=r"Ligne 15, colonne O : « x » n'est pas un nombre"):
        read_file(text.encode(), "b3.tsv")


def test_a_heading_row_not_where_the_release_puts_it_is_a_warning():
    text = sample("r5_TR_B3_sample.tsv").decode("utf-8-sig")
    parsed = read_file(("\n" + text).encode(), "b3.tsv")
    assert any("ligne 15 et non à la ligne 14" in w for w in parsed.warnings)
    assert len(parsed.rows) == 6


def test_semicolon_csv_in_cp1252_is_read():
    text = sample("r5_TR_example.csv").decode("utf-8").replace(",", ";").replace("\u03b1", "é")
    parsed = read_file(text.encode("cp1252"), "export.csv")
    assert len(parsed.rows) == 24
    assert {r.platform for r in parsed.rows} == {"PPé"}


# ----------------------------------------------------------------- the normaliser's quirks


def header_only(code) -> dict:
    report = sample_json("r5_exc_2000_not_authorized.json")
    report["Report_Header"]["Exceptions"][0]["Code"] = code
    return report


def test_quirk_exception_as_a_bare_object():
    envelope = normalise(sample("r5_exc_naked_1011_queued.json"))
    assert envelope.report is None
    assert [e.code for e in envelope.exceptions] == [1011]


def test_quirk_root_array_of_exceptions():
    body = json.dumps([{"Code": 2010, "Severity": "Error", "Message": "Not authorized"}])
    envelope = normalise(body.encode())
    assert [e.code for e in envelope.exceptions] == [2010]
    assert any("tableau d'exceptions" in q for q in envelope.quirks)


def test_quirk_root_array_holding_one_report():
    body = json.dumps([sample_json("r5_TR_B1_sample.json")])
    assert len(read_json(body).rows) == 2


def test_quirk_singular_exception_in_the_header():
    report = header_only(3030)
    report["Report_Header"]["Exception"] = report["Report_Header"].pop("Exceptions")[0]
    envelope = normalise(json.dumps(report))
    assert [e.code for e in envelope.exceptions] == [3030]


def test_quirk_exceptions_outside_the_header():
    report = sample_json("r5_TR_B1_sample.json")
    report["Exceptions"] = [
        {"Code": 3050, "Severity": "Warning", "Message": "Parameter Not Recognized"}
    ]
    parsed = read_json(json.dumps(report))
    assert parsed.codes() == {3050}
    assert len(parsed.rows) == 2
    assert any("3050" in w and "ignoré une partie de la demande" in w for w in parsed.warnings)


def test_quirk_code_as_a_string():
    parsed = read_file(sample("r5_TR_proquest_ebookcentral_exception_wrapped.json"), "p.json")
    assert parsed.codes() == {3030}
    assert any("code d'exception écrit comme texte" in w for w in parsed.warnings)


def test_quirk_body_encoded_as_a_json_string():
    body = json.dumps(json.dumps(sample_json("r51_TR_B1_sample.json")))
    parsed = read_json(body.encode())
    assert len(parsed.rows) == 48
    assert any("encodé comme une chaîne JSON" in w for w in parsed.warnings)


def test_quirk_lowercase_keys():
    def lower(value):
        if isinstance(value, dict):
            return {k.lower(): lower(v) for k, v in value.items()}
        return [lower(v) for v in value] if isinstance(value, list) else value

    parsed = read_json(json.dumps(lower(sample_json("r5_TR_B1_sample.json"))))
    assert len(parsed.rows) == 2
    assert any("casse" in w for w in parsed.warnings)


def test_quirk_200_with_no_items_and_no_exception_is_3030():
    envelope = normalise(sample("r5_TR_empty_items_no_exception.json"))
    assert [(e.code, e.inferred) for e in envelope.exceptions] == [(3030, True)]


@pytest.mark.parametrize(
    ("found", "has_data", "action"),
    [
        ({1000}, False, codes.Action.BACKOFF), ({1011}, False, codes.Action.BACKOFF),
        ({1020}, False, codes.Action.COOL_DOWN), ({1030}, False, codes.Action.CONFIG),
        ({2000}, False, codes.Action.CREDENTIALS), ({2011}, False, codes.Action.CREDENTIALS),
        ({2030}, False, codes.Action.CREDENTIALS), ({3020}, False, codes.Action.DATES),
        ({3030}, False, codes.Action.EMPTY), ({3031}, True, codes.Action.PARTIAL),
        ({3032}, False, codes.Action.UNAVAILABLE), ({3040}, True, codes.Action.PARTIAL),
        ({3062}, True, codes.Action.FLAG), (set(), True, codes.Action.IMPORT),
        ({0, 12}, True, codes.Action.IMPORT),
    ],
)  # fmt: skip
def test_each_exception_code_leads_to_its_action(found, has_data, action):
    assert codes.decide(found, has_data=has_data) == action
