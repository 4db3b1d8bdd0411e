"""Write the SYNTHETIC OAI-PMH responses the replay server needs and no real capture gives.

No real OAI-PMH response carrying MARCXML could be found, so this wraps REAL MARCXML
records (from ``tests/data/marc/``) in hand-made ListRecords envelopes: three pages
chained by resumption tokens (the last one with an empty token, as the protocol wants),
one deleted record, plus a page of records a harvester cannot use, and an Identify with
seconds granularity (the real ones we have are both in days). Run it from anywhere:

    .venv/bin/python tests/data/oai_pmh/make_marcxml_pages.py

The output is deterministic; every file it writes is listed as SYNTHETIC in
``tests/data/SOURCES.md``.
"""

import copy
from pathlib import Path

import pymarc
from lxml import etree

HERE = Path(__file__).resolve().parent
MARC = HERE.parent / "marc"
OAI = "http://www.openarchives.org/OAI/2.0/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
BASE_URL = "https://replay.metrobib.example/oai"
ID_PREFIX = "oai:replay.metrobib.example:"
TOTAL = 11  # records across the three pages, the deleted one included


def marc_records(path: Path) -> list[etree._Element]:
    """The <record> elements of a real MARCXML file, namespaced or not."""
    root = etree.parse(str(path)).getroot()
    if etree.QName(root).localname == "record":
        return [root]
    return [copy.deepcopy(r) for r in root if etree.QName(r).localname == "record"]


def iso2709_as_marcxml(path: Path, count: int) -> list[etree._Element]:
    """The first ``count`` real ISO 2709 records, converted to MARCXML by pymarc."""
    with path.open("rb") as stream:
        reader = pymarc.MARCReader(stream, to_unicode=True, force_utf8=True)
        records = [record for _, record in zip(range(count), reader, strict=False)]
    return [etree.fromstring(pymarc.record_to_xml(r, namespace=True)) for r in records]


def control_001(record: etree._Element) -> str:
    for field in record:
        if etree.QName(field).localname == "controlfield" and field.get("tag") == "001":
            return field.text.strip()
    raise ValueError("record without 001")


def envelope(
    response_date: str, request: dict[str, str], *, prefixed: bool = False
) -> tuple[etree._Element, etree._Element]:
    """An OAI-PMH response around an empty ListRecords. ``prefixed`` writes the OAI
    namespace with a prefix, as some repositories do: lxml cannot undeclare a default
    namespace, so records without a namespace (Sainte-Geneviève's) need it."""
    root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={"oai" if prefixed else None: OAI, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")
    etree.SubElement(root, f"{{{OAI}}}responseDate").text = response_date
    etree.SubElement(root, f"{{{OAI}}}request", request).text = BASE_URL
    return root, etree.SubElement(root, f"{{{OAI}}}ListRecords")


def add_record(
    page: etree._Element,
    identifier: str | None,
    datestamp: str,
    marc: etree._Element | None = None,
    *,
    deleted: bool = False,
    metadata: bool = True,
) -> None:
    record = etree.SubElement(page, f"{{{OAI}}}record")
    header = etree.SubElement(record, f"{{{OAI}}}header", {"status": "deleted"} if deleted else {})
    if identifier is not None:
        etree.SubElement(header, f"{{{OAI}}}identifier").text = identifier
    etree.SubElement(header, f"{{{OAI}}}datestamp").text = datestamp
    etree.SubElement(header, f"{{{OAI}}}setSpec").text = "bibliotheques"
    if marc is not None and metadata:
        etree.SubElement(record, f"{{{OAI}}}metadata").append(copy.deepcopy(marc))


def token(page: etree._Element, value: str, cursor: int) -> None:
    attrs = {"completeListSize": str(TOTAL), "cursor": str(cursor)}
    etree.SubElement(page, f"{{{OAI}}}resumptionToken", attrs).text = value or None


def write(root: etree._Element, name: str) -> None:
    etree.indent(root, space="  ")
    data = etree.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"
    (HERE / name).write_bytes(data)


def main() -> None:
    batch = marc_records(MARC / "batch.xml")  # MARC 21, marc: prefix
    koha = marc_records(MARC / "1474920681_KOHA_LFL_5.xml")  # MARC 21, default namespace
    bsg = marc_records(MARC / "marcxml_bsg_nordiquenumerisation.xml")  # UNIMARC, no namespace
    cotes = iso2709_as_marcxml(MARC / "cotes8.mrc", 3)  # UNIMARC, converted

    first = {"verb": "ListRecords", "metadataPrefix": "marcxml", "set": "bibliotheques"}
    root, page = envelope("2024-03-01T10:00:00Z", first)
    add_record(page, ID_PREFIX + control_001(batch[0]), "2024-02-01T08:00:00Z", batch[0])
    add_record(page, ID_PREFIX + control_001(batch[1]), "2024-02-01T08:00:01Z", batch[1])
    add_record(page, ID_PREFIX + "retire-2023-117", "2024-02-02T09:30:00Z", deleted=True)
    add_record(page, ID_PREFIX + control_001(koha[0]), "2024-02-03T11:15:00Z", koha[0])
    token(page, "marcxml-page-2", 0)
    write(root, "synthetic_ListRecords_marcxml_1.xml")

    following = {"verb": "ListRecords", "resumptionToken": "marcxml-page-2"}
    root, page = envelope("2024-03-01T10:00:05Z", following, prefixed=True)
    for n, record in enumerate(bsg):
        add_record(page, ID_PREFIX + control_001(record), f"2024-02-1{n}T14:00:00Z", record)
    token(page, "marcxml-page-3", 4)
    write(root, "synthetic_ListRecords_marcxml_2.xml")

    following = {"verb": "ListRecords", "resumptionToken": "marcxml-page-3"}
    root, page = envelope("2024-03-01T10:00:09Z", following)
    for n, record in enumerate(cotes):
        add_record(page, ID_PREFIX + control_001(record), f"2024-02-2{n}T16:45:00Z", record)
    token(page, "", 8)
    write(root, "synthetic_ListRecords_marcxml_3.xml")

    # Records a harvester cannot use, between two good ones.
    root, page = envelope("2024-03-02T07:00:00Z", first, prefixed=True)
    add_record(page, ID_PREFIX + control_001(batch[0]), "2024-03-01T08:00:00Z", batch[0])
    add_record(page, None, "2024-03-01T08:05:00Z", bsg[0])
    add_record(page, ID_PREFIX + "sans-metadonnees", "2024-03-01T08:10:00Z", metadata=False)
    add_record(page, ID_PREFIX + control_001(koha[0]), "2024-03-01T08:15:00Z", koha[0])
    write(root, "synthetic_ListRecords_marcxml_odd.xml")

    # The real sickle Identify with the other granularity the protocol allows.
    identify = (HERE / "sickle_Identify.xml").read_bytes()
    identify = identify.replace(
        b"<granularity>YYYY-MM-DD</granularity>",
        b"<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>",
    )
    (HERE / "synthetic_Identify_seconds.xml").write_bytes(identify)


if __name__ == "__main__":
    main()
