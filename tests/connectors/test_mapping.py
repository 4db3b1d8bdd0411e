"""Copies read from real records with the presets staff choose in the back-office."""

from dataclasses import replace
from pathlib import Path

import pytest

from catalogue.marc import Field, MarcRecord, read_marc_file
from catalogue.records import ItemData
from connectors.mapping import (
    PRESETS,
    compile_mapping,
    preset_choices,
    read_items,
    resolve,
    validate_mapping,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "marc"


def read(name: str) -> list[MarcRecord]:
    with (DATA / name).open("rb") as handle:
        return [r for r in read_marc_file(handle) if isinstance(r, MarcRecord)]


def with_item_values(record: MarcRecord, tag: str, **values: str) -> MarcRecord:
    """The record with these subfield values set in every ``tag`` field (replaced where
    the subfield is there, added otherwise)."""

    def changed(item: Field) -> Field:
        subfields = [(c, values.get(c, v)) for c, v in item.subfields]
        present = {c for c, _v in item.subfields}
        subfields += [(c, v) for c, v in values.items() if c not in present]
        return replace(item, subfields=tuple(subfields))

    return replace(record, fields=tuple(changed(f) if f.tag == tag else f for f in record.fields))


def test_koha_unimarc_copies_of_the_sciences_po_export():
    items = read_items(read("cotes8.mrc")[0], PRESETS["koha_unimarc_995"])
    assert [i.barcode for i in items] == ["00000001158900", "00000001158899"]
    assert {i.site_code for i in items} == {"751072303"}  # 995$b, home library
    # The export encoded "°" twice ("8Â°"); the call number is read repaired.
    assert [i.call_number for i in items] == ["8°007.775(1892-1)", "8°007.775(1892-2)"]
    assert [i.loan_category for i in items] == ["DI", "CN"]
    assert items[0].status == "L4"
    # "L4" is not one of Koha's numeric statuses: availability cannot be told.
    assert {i.available for i in items} == {None}


def test_koha_marc21_copies_are_available_when_every_status_is_zero():
    items = read_items(read("marcmoose_koha_952.xml")[0], PRESETS["koha_marc21_952"])
    assert [i.barcode for i in items] == ["000426795", "000426811", "000466130", "900099163"]
    assert [i.site_code for i in items] == ["DO", "DO", "DO", "TA"]
    assert items[0] == ItemData(
        barcode="000426795",
        site_code="DO",
        call_number="HB172.5 .B87 1993",
        section="MC",
        status="0",
        loan_category="IBK",
        available=True,
    )


@pytest.mark.parametrize(
    ("extra", "available"),
    [
        ({"q": "2024-06-30"}, False),  # on loan: a due date
        ({"7": "-1"}, False),  # not for loan: ordered
        ({"0": "1"}, False),  # withdrawn
        ({"4": "1"}, True),  # damaged does not stop a loan
    ],
)
def test_koha_statuses_say_whether_a_copy_is_on_the_shelf(extra, available):
    record = with_item_values(read("marcmoose_koha_952.xml")[0], "952", **extra)
    assert read_items(record, PRESETS["koha_marc21_952"])[0].available is available


def test_lost_copies_are_not_available():
    record = with_item_values(read("marcmoose_koha_952.xml")[0], "952", **{"1": "4"})
    items = read_items(record, PRESETS["koha_marc21_952"])
    assert {i.available for i in items} == {False}


def test_old_koha_952_without_home_library_falls_back_to_the_current_one():
    (item,) = read_items(read("koha_marc21_marc8_errors.dat")[0], PRESETS["koha_marc21_952"])
    assert (item.barcode, item.site_code) == ("31000000010273", "NPL")


def test_holdings_852_of_sainte_genevieve():
    items = read_items(read("marcxml_bsg_nordiquenumerisation.xml")[0], PRESETS["generic_852"])
    assert items[0] == ItemData(
        barcode="9108534101", site_code="NOR", call_number="8 NN 1840 NOR", section="RARN"
    )
    assert items[1].site_code == "NOR" and not items[1].barcode  # a holding without a copy


def test_852_call_number_from_its_prefix_when_there_is_nothing_else():
    (item,) = read_items(read("unimarc_lollipop.txt")[0], PRESETS["generic_852"])
    assert (item.site_code, item.call_number) == ("MOUL", "JR NOS")


def test_listed_statuses_decide_for_systems_with_their_own_codes():
    mapping = validate_mapping(
        {
            **PRESETS["pmb_unimarc_995"],
            "available_statuses": "L4, L7",
            "unavailable_statuses": ["EXC"],
        }
    )
    record = read("cotesD.mrc")[0]
    assert {i.available for i in read_items(record, mapping)} == {True}
    excluded = with_item_values(record, "995", o="EXC")
    assert {i.available for i in read_items(excluded, mapping)} == {False}
    unknown = with_item_values(record, "995", o="XYZ")
    assert {i.available for i in read_items(unknown, mapping)} == {None}


def test_a_record_without_the_field_has_no_copies():
    assert read_items(read("summerland.mrc")[0], PRESETS["koha_marc21_952"]) == []


def test_every_preset_is_valid_and_offered_with_a_french_label():
    for name, preset in PRESETS.items():
        assert validate_mapping(preset)["tag"] == preset["tag"], name
    choices = dict(preset_choices())
    assert choices["koha_unimarc_995"] == "Koha (UNIMARC, zone 995)"
    assert set(choices) == set(PRESETS)


def test_resolve_reads_what_a_connector_stores():
    assert resolve({}) is None
    assert resolve(None) is None
    compiled = resolve({"preset": "koha_unimarc_995", "site": "c"})
    items = read_items(read("cotes8.mrc")[0], compiled)
    assert {i.site_code for i in items} == {"BIB01"}  # 995$c, overridden
    custom = resolve({"tag": "995", "barcode": "f", "call_number": "k"})
    assert read_items(read("cotes8.mrc")[0], custom)[0].barcode == "00000001158900"
    with pytest.raises(ValueError, match="Modèle de lecture des exemplaires inconnu"):
        resolve({"preset": "afi"})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tag": "95", "barcode": "p"}, "Zone des exemplaires invalide"),
        ({"tag": "001", "barcode": "p"}, "Zone des exemplaires invalide"),
        ({"tag": "952", "barcode": "p,q"}, "Sous-zone de « code-barres » invalide"),
        ({"tag": "952", "section": "c"}, "au moins la sous-zone du code-barres"),
        ({"tag": "952", "barcode": "p", "colour": "x"}, "Clé(s) inconnue(s)"),
        (
            {"tag": "995", "barcode": "f", "status": "o", "available_statuses": ["L4"],
             "unavailable_statuses": ["l4"]},
            "à la fois disponible(s) et indisponible(s)",
        ),
        ({"tag": "995", "barcode": "f", "available_statuses": ["L4"]}, "sous-zone du statut"),
        ({"tag": "952", "barcode": "p", "not_for_loan": ["77"]}, "un seul caractère"),
        ("952", "doit être un objet"),
    ],
)  # fmt: skip
def test_invalid_mappings_are_refused_in_french(data, message):
    with pytest.raises(ValueError) as error:
        validate_mapping(data)
    assert message in str(error.value)


def test_compiled_mapping_reads_like_the_dict():
    record = read("marcmoose_koha_952.xml")[0]
    preset = PRESETS["koha_marc21_952"]
    assert read_items(record, compile_mapping(preset)) == read_items(record, preset)


def test_item_subfields_keep_their_text_as_the_source_wrote_it():
    record = with_item_values(read("marcmoose_koha_952.xml")[0], "952", p="B12.", o="R DUM.")
    item = read_items(record, PRESETS["koha_marc21_952"])[0]
    assert (item.barcode, item.call_number) == ("B12.", "R DUM.")


def test_koha_itemnumbers_are_read_from_subfield_9_in_both_presets():
    marc21 = with_item_values(read("marcmoose_koha_952.xml")[0], "952", **{"9": "1234"})
    assert {i.item_id for i in read_items(marc21, PRESETS["koha_marc21_952"])} == {"1234"}
    unimarc = with_item_values(read("cotes8.mrc")[0], "995", **{"9": "33028"})
    assert {i.item_id for i in read_items(unimarc, PRESETS["koha_unimarc_995"])} == {"33028"}
    assert not any(
        "item_id" in preset for name, preset in PRESETS.items() if not name.startswith("koha")
    )
