"""Reading R5 and R5.1 JSON reports (COUNTER Reports and their Standard Views) into
:class:`~stats.counter.report.ParsedReport`. The dict has been normalised
(``stats.counter.normalise``) and validated (``stats.counter.validation``) first.

R5: ``Report_Items[].Performance[]`` holds one ``{Period, Instance[{Metric_Type, Count}]}``
per month, and the attributes (Data_Type, YOP, Access_Type, Access_Method) sit on the item,
which repeats for each combination. R5.1: ``Attribute_Performance[]`` holds the attributes
and ``Performance{metric: {"yyyy-mm": count}}``; IR items may be nested under a parent's
``Items``. Zero months are left out by R5.1, so they are simply absent here too.
"""

from collections.abc import Iterator

from stats.counter.report import (
    R5,
    R51,
    CounterError,
    CounterException,
    CountRow,
    ParsedReport,
    month_of,
    release_named,
)
from stats.counter.vocabulary import canonical

ITEM_ID_ORDER = ("DOI", "ISBN", "Online_ISSN", "Print_ISSN", "Proprietary", "URI")


def detect_release(report: dict) -> str:
    """The release the report says, or the one its shape shows when it says none (the
    schema check then reports the missing Release). :class:`CounterError` for another."""
    header = report.get("Report_Header") or {}
    release = release_named(header.get("Release", ""))
    if release:
        return release
    items = report.get("Report_Items") or []
    shaped_51 = isinstance(header.get("Report_Filters"), dict) or any(
        isinstance(item, dict) and ("Attribute_Performance" in item or "Items" in item)
        for item in items[:5]
    )
    return R51 if shaped_51 else R5


def report_id_of(report: dict) -> str:
    report_id = str((report.get("Report_Header") or {}).get("Report_ID") or "").strip()
    if not report_id:
        raise CounterError(
            "Le rapport ne respecte pas le schéma COUNTER : Report_Header.Report_ID est absent."
        )
    return report_id.upper()


def parse(report: dict, release: str, exceptions: list[CounterException]) -> ParsedReport:
    """The report's header and rows, in the internal vocabulary."""
    header = report["Report_Header"]
    filters = _pairs(header.get("Report_Filters"))
    attributes = _pairs(header.get("Report_Attributes"))
    parsed = ParsedReport(
        report_id=report_id_of(report),
        release=release,
        report_name=str(header.get("Report_Name") or ""),
        created=str(header.get("Created") or ""),
        created_by=str(header.get("Created_By") or ""),
        customer_id=str(header.get("Customer_ID") or ""),
        institution_name=str(header.get("Institution_Name") or ""),
        begin=month_of(filters.get("Begin_Date", "")),
        end=month_of(filters.get("End_Date", "")),
        filters=filters,
        attributes=attributes,
        exceptions=list(exceptions),
    )
    unknown: set[tuple[str, str]] = set()
    rows = (
        _rows_r5(report, filters, unknown) if release == R5 else _rows_r51(report, filters, unknown)
    )
    parsed.rows = merge(rows)
    parsed.warnings += unknown_values(unknown)
    return parsed


def merge(rows) -> list[CountRow]:
    """Rows with the same key summed (a vendor repeating an item), zero counts dropped."""
    totals: dict[tuple, CountRow] = {}
    for row in rows:
        key = row.key()
        if key in totals:
            old = totals[key]
            totals[key] = CountRow(**{**old.__dict__, "count": old.count + row.count})
        else:
            totals[key] = row
    return [row for row in totals.values() if row.count]


def unknown_values(unknown: set[tuple[str, str]]) -> list[str]:
    return [
        f"Valeur inconnue de COUNTER pour {element} : « {value} » (gardée telle quelle)."
        for element, value in sorted(unknown)
    ]


def _pairs(value) -> dict[str, str]:
    """Report_Filters / Report_Attributes as ``{Name: "v1|v2"}`` whatever the release."""
    if isinstance(value, dict):
        return {
            str(k): "|".join(map(str, v)) if isinstance(v, list) else str(v)
            for k, v in value.items()
        }
    result = {}
    for entry in value or []:
        if isinstance(entry, dict) and entry.get("Name"):
            result[str(entry["Name"])] = str(entry.get("Value") or "")
    return result


def default_of(filters: dict[str, str], name: str) -> str:
    """A filter with one value is every row's value when the rows do not say it."""
    value = filters.get(name, "")
    return value if value and "|" not in value else ""


def item_id(ids) -> str:
    if isinstance(ids, list):  # R5: [{Type, Value}]
        ids = {e.get("Type"): e.get("Value") for e in ids if isinstance(e, dict)}
    if not isinstance(ids, dict):
        return ""
    for name in ITEM_ID_ORDER:
        value = ids.get(name)
        if isinstance(value, list):
            value = value[0] if value else ""
        if value:
            return f"{name}:{value}"[:200]
    return ""


def _count(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        raise CounterError(
            f"Le rapport ne respecte pas COUNTER : {where} vaut « {value} », qui n'est pas "
            "un nombre entier."
        )
    if value < 0:
        raise CounterError(
            f"Le rapport ne respecte pas COUNTER : {where} vaut {value}, un compte ne peut "
            "pas être négatif."
        )
    return value


def _attributes(source: dict, item: dict, filters, unknown) -> dict:
    def pick(name):
        return source.get(name) or item.get(name) or default_of(filters, name)

    return {
        "data_type": canonical("data_type", pick("Data_Type"), unknown),
        "access_type": canonical("access_type", pick("Access_Type"), unknown),
        "access_method": canonical("access_method", pick("Access_Method"), unknown),
        "yop": str(pick("YOP") or "")[:9],
    }


def _name(item: dict) -> str:
    return str(item.get("Title") or item.get("Item") or item.get("Database") or "")[:500]


def _rows_r5(report: dict, filters, unknown) -> Iterator[CountRow]:
    for i, item in enumerate(report.get("Report_Items") or []):
        attributes = _attributes({}, item, filters, unknown)
        common = {
            **attributes,
            "title": _name(item),
            "item_id": item_id(item.get("Item_ID")),
            "platform": str(item.get("Platform") or "")[:200],
        }
        for p, performance in enumerate(item.get("Performance") or []):
            where = f"Report_Items[{i}].Performance[{p}]"
            month = month_of(str((performance.get("Period") or {}).get("Begin_Date", "")))
            if month is None:
                raise CounterError(f"{where}.Period.Begin_Date n'est pas une date.")
            for n, instance in enumerate(performance.get("Instance") or []):
                yield CountRow(
                    month=month,
                    metric_type=canonical("metric_type", instance.get("Metric_Type"), unknown),
                    count=_count(instance.get("Count"), f"{where}.Instance[{n}].Count"),
                    **common,
                )


def _rows_r51(report: dict, filters, unknown) -> Iterator[CountRow]:
    for i, entry in enumerate(report.get("Report_Items") or []):
        children = entry.get("Items")
        if isinstance(children, list):  # IR: items under their parent
            for c, child in enumerate(children):
                yield from _item_r51(child, f"Report_Items[{i}].Items[{c}]", filters, unknown)
        else:
            yield from _item_r51(entry, f"Report_Items[{i}]", filters, unknown)


def _item_r51(item: dict, where: str, filters, unknown) -> Iterator[CountRow]:
    common = {
        "title": _name(item),
        "item_id": item_id(item.get("Item_ID")),
        "platform": str(item.get("Platform") or "")[:200],
    }
    for a, block in enumerate(item.get("Attribute_Performance") or []):
        attributes = _attributes(block, item, filters, unknown)
        for metric, months in (block.get("Performance") or {}).items():
            metric_type = canonical("metric_type", metric, unknown)
            for key, value in (months or {}).items():
                place = f"{where}.Attribute_Performance[{a}].Performance.{metric}.{key}"
                month = month_of(key)
                if month is None:
                    raise CounterError(f"{place} : « {key} » n'est pas un mois (aaaa-mm).")
                yield CountRow(
                    month=month,
                    metric_type=metric_type,
                    count=_count(value, place),
                    **attributes,
                    **common,
                )
