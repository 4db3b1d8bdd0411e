"""Reading tabular COUNTER reports: TSV, CSV and XLSX (CoP §3.3, COUNTER.md §3).

The header is name/value pairs in columns A and B — 12 rows in R5, 13 in R5.1 (which adds
Registry_Record) — then a blank row, then the column headings. We find the headings by
scanning for the cell ``Metric_Type`` rather than trusting the row number (real files
differ), and warn when it is not where the release puts it. Months are the headings that
read as ``Mmm-yyyy`` in English (``Jan-2022``), whatever the server's locale; a
spreadsheet may have turned them into dates, which are taken as they are.
Loose real-world files are accepted: "as selected" in the header, a reporting period
written ``2017-01-01 to 2017-06-30``, a comma, semicolon or tab separator, cp1252 text.
"""

import csv
import io
import re
from datetime import date, datetime

from stats.counter.json_reports import default_of, merge, unknown_values
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

MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
HEADING_ROW = {R5: 14, R51: 15}  # 1-based
NAME_COLUMNS = ("Title", "Item", "Database")
ID_COLUMNS = (
    ("DOI", "DOI"), ("ISBN", "ISBN"), ("Online_ISSN", "Online_ISSN"),
    ("Print_ISSN", "Print_ISSN"), ("Proprietary_ID", "Proprietary"), ("URI", "URI"),
)  # fmt: skip
DATE = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")
EXCEPTION = re.compile(r"^\s*(\d+)\s*:\s*([^(]*?)\s*(?:\((.*)\))?\s*$")
MAX_CELLS_SHOWN = 40


def read_text_table(data: bytes, file_name: str = "") -> list[list[str]]:
    """The rows of a TSV or CSV file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    first = text.split("\n", 1)[0]
    if file_name.lower().endswith(".tsv") or first.count("\t") > max(
        first.count(","), first.count(";")
    ):
        delimiter = "\t"
    else:
        delimiter = ";" if first.count(";") > first.count(",") else ","
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def read_xlsx_table(data: bytes) -> list[list]:
    """The rows of the first sheet of an XLSX workbook (cells as openpyxl gives them)."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise CounterError(
            f"Le classeur Excel est illisible ({type(error).__name__}) : enregistrez-le de "
            "nouveau au format .xlsx."
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def column_month(cell) -> date | None:
    """The month a heading names: ``Jan-2022`` (English, any case), a spreadsheet date, or
    ``2022-01``."""
    if isinstance(cell, datetime | date):
        return date(cell.year, cell.month, 1)
    text = _text(cell)
    match = re.fullmatch(r"([A-Za-z]{3})[-\s](\d{4})", text)
    if match and match.group(1).lower() in MONTHS:
        return date(int(match.group(2)), MONTHS[match.group(1).lower()], 1)
    return month_of(text) if re.fullmatch(r"\d{4}-\d{2}", text) else None


def parse_table(rows: list[list], file_format: str) -> ParsedReport:
    """A tabular report's header and counts; :class:`CounterError` saying which line and
    column is wrong."""
    heading_at = next(
        (i for i, row in enumerate(rows) if any(_text(c) == "Metric_Type" for c in row)), None
    )
    if heading_at is None:
        raise CounterError(
            "Ce fichier n'est pas un rapport COUNTER tabulaire : aucune ligne d'en-têtes de "
            "colonnes ne contient « Metric_Type »."
        )
    header = {}
    for row in rows[:heading_at]:
        cells = [_text(c) for c in row]
        if cells and cells[0]:
            header[cells[0]] = cells[1] if len(cells) > 1 else ""
    warnings: list[str] = []
    release = _release(header)
    report_id = header.get("Report_ID", "").strip().upper()
    if not report_id:
        raise CounterError("Le rapport tabulaire n'a pas de Report_ID (ligne 2, colonne B).")
    expected = HEADING_ROW[release]
    if heading_at + 1 != expected:
        warnings.append(
            f"En-tête non standard : les noms de colonnes sont à la ligne {heading_at + 1} "
            f"et non à la ligne {expected} (COUNTER {release})."
        )
    filters = _pairs(header.get("Report_Filters", ""))
    begin, end = _period(header.get("Reporting_Period", ""))
    if begin is None:
        begin, end = month_of(filters.get("Begin_Date", "")), month_of(filters.get("End_Date", ""))
    parsed = ParsedReport(
        report_id=report_id,
        release=release,
        report_name=header.get("Report_Name", ""),
        created=header.get("Created", ""),
        created_by=header.get("Created_By", ""),
        institution_name=header.get("Institution_Name", ""),
        begin=begin,
        end=end,
        filters=filters,
        attributes=_pairs(header.get("Report_Attributes", "")),
        exceptions=_exceptions(header.get("Exceptions", "")),
        warnings=warnings,
        file_format=file_format,
    )
    if begin is None and header.get("Reporting_Period"):
        warnings.append(
            f"Période du rapport illisible (« {header['Reporting_Period']} ») : les mois "
            "sont pris dans les colonnes."
        )
    headings = rows[heading_at]
    unknown: set[tuple[str, str]] = set()
    parsed.rows = merge(_body(rows, heading_at, headings, filters, parsed, unknown))
    parsed.warnings += unknown_values(unknown)
    return parsed


def _release(header: dict) -> str:
    release = release_named(header.get("Release", ""))
    if release:
        return release
    raise CounterError("Le rapport tabulaire n'indique pas sa version (Release, ligne 3).")


def _pairs(text: str) -> dict[str, str]:
    """``Name=v1|v2; Name=v`` as a dict; "as selected" and other prose give nothing."""
    result = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if sep and name.strip():
            result[name.strip()] = value.strip()
    return result


def _period(text: str) -> tuple[date | None, date | None]:
    found = DATE.findall(text or "")
    if len(found) >= 2:
        return month_of(found[0]), month_of(found[1])
    return None, None


def _exceptions(text: str) -> list[CounterException]:
    result = []
    for part in (text or "").split(";"):
        match = EXCEPTION.match(part)
        if match:
            result.append(
                CounterException(int(match.group(1)), match.group(2), match.group(3) or "")
            )
    return result


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _body(rows, heading_at, headings, filters, parsed: ParsedReport, unknown):
    names = [_text(c) for c in headings]
    position = {name: i for i, name in enumerate(names) if name}
    months = [(i, column_month(c)) for i, c in enumerate(headings)]
    months = [(i, m) for i, m in months if m is not None]
    total_at = position.get("Reporting_Period_Total")
    if not months:
        if total_at is None or parsed.begin is None or parsed.begin != parsed.end:
            raise CounterError(
                f"Le rapport ne détaille pas les mois (ligne {heading_at + 1}) : importez-le "
                "avec le détail mensuel (sans Exclude_Monthly_Details)."
            )
        months = [(total_at, parsed.begin)]  # one month: its total is the month
        total_at = None
    metric_at = position["Metric_Type"]
    name_at = next((position[n] for n in NAME_COLUMNS if n in position), None)
    mismatched = 0

    def cell(row, name):
        i = position.get(name)
        return _text(row[i]) if i is not None and i < len(row) else ""

    for line, row in enumerate(rows[heading_at + 1 :], heading_at + 2):
        if not any(_text(c) for c in row):
            continue
        metric = _text(row[metric_at]) if metric_at < len(row) else ""
        if not metric:
            raise CounterError(
                f"Ligne {line}, colonne {_letter(metric_at)} : Metric_Type est vide."
            )
        common = {
            "metric_type": canonical("metric_type", metric, unknown),
            "data_type": canonical(
                "data_type", cell(row, "Data_Type") or default_of(filters, "Data_Type"), unknown
            ),
            "access_type": canonical(
                "access_type",
                cell(row, "Access_Type") or default_of(filters, "Access_Type"),
                unknown,
            ),
            "access_method": canonical(
                "access_method",
                cell(row, "Access_Method") or default_of(filters, "Access_Method"),
                unknown,
            ),
            "yop": cell(row, "YOP")[:9],
            "title": (_text(row[name_at]) if name_at is not None and name_at < len(row) else "")[
                :500
            ],
            "item_id": next(
                (f"{label}:{cell(row, col)}"[:200] for col, label in ID_COLUMNS if cell(row, col)),
                "",
            ),
            "platform": cell(row, "Platform")[:200],
        }
        total = 0
        for i, month in months:
            value = _text(row[i]) if i < len(row) else ""
            count = _number(value, line, i)
            total += count
            yield CountRow(month=month, count=count, **common)
        stated = _text(row[total_at]) if total_at is not None and total_at < len(row) else ""
        if stated and _number(stated, line, total_at) != total:
            mismatched += 1
    if mismatched:
        parsed.warnings.append(
            f"Incohérence : Reporting_Period_Total diffère de la somme des mois sur "
            f"{mismatched} ligne(s)."
        )


def _number(value: str, line: int, column: int) -> int:
    if not value:
        return 0
    cleaned = value.replace("\u00a0", "").replace(" ", "")
    if cleaned.endswith(".0"):
        cleaned = cleaned[:-2]
    if not cleaned.isdigit():
        if cleaned.startswith("-") and cleaned[1:].isdigit():
            raise CounterError(
                f"Ligne {line}, colonne {_letter(column)} : le compte {value} est négatif."
            )
        raise CounterError(
            f"Ligne {line}, colonne {_letter(column)} : « {value[:MAX_CELLS_SHOWN]} » n'est "
            "pas un nombre entier."
        )
    return int(cleaned)
