"""Bytes in, a :class:`~stats.counter.report.ParsedReport` out: the one entry point of
``stats.counter`` (uploads and SUSHI replies alike).

Raises :class:`~stats.counter.report.CounterError` (French, with the JSON path or the line
and column) for a file that is not a report or breaks the schema, and
:class:`~stats.counter.report.NoUsageData` for a reply holding only exceptions."""

from stats.counter import codes, consistency, json_reports, tabular, validation
from stats.counter.normalise import NO_USAGE, normalise
from stats.counter.report import CounterError, CounterException, NoUsageData, ParsedReport

FORMATS = ("json", "tsv", "csv", "xlsx")
XLSX_MAGIC = b"PK\x03\x04"


def format_of(data: bytes, file_name: str = "") -> str:
    """``json``, ``tsv``, ``csv`` or ``xlsx``, from the name and, failing that, the bytes."""
    suffix = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if suffix in FORMATS:
        return suffix
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"[", b'"'):
        return "json"
    return "tsv" if b"\t" in data[:2000] else "csv"


def read_file(data: bytes, file_name: str = "") -> ParsedReport:
    """Read an uploaded or harvested report of any format."""
    file_format = format_of(data, file_name)
    if file_format == "json":
        return read_json(data)
    if file_format == "xlsx":
        if not data.startswith(XLSX_MAGIC):
            raise CounterError("Ce fichier n'est pas un classeur Excel .xlsx valide.")
        rows = tabular.read_xlsx_table(data)
    else:
        rows = tabular.read_text_table(data, file_name)
    parsed = tabular.parse_table(rows, file_format)
    return finish(parsed)


def read_json(data) -> ParsedReport:
    """Read a JSON report (or SUSHI reply), quirks undone, checked against the schema."""
    envelope = normalise(data)
    if envelope.report is None:
        raise no_usage(envelope.exceptions)
    report = envelope.report
    release = json_reports.detect_release(report)
    report_id = json_reports.report_id_of(report)
    has_items = bool(report.get("Report_Items"))
    warnings = [f"Particularité du fournisseur corrigée : {quirk}." for quirk in envelope.quirks]
    if not has_items:
        if NO_USAGE not in {e.code for e in envelope.exceptions}:
            raise no_usage(envelope.exceptions)
        # Nothing to count: only the header matters (a header-only 3030 reply lacks
        # Report_Items, which the schema requires).
        report = {**report, "Report_Items": []}
    else:
        warnings += validation.validate(report, release, report_id)
    parsed = json_reports.parse(report, release, envelope.exceptions)
    parsed.warnings = warnings + parsed.warnings
    return finish(parsed)


def finish(parsed: ParsedReport) -> ParsedReport:
    """Consistency warnings and exception flags, shared by every format."""
    if not parsed.rows:
        if parsed.exceptions and not parsed.codes() & (codes.EMPTY | {0}):
            raise no_usage(parsed.exceptions)
        if not parsed.exceptions:
            parsed.exceptions.append(
                CounterException(NO_USAGE, "No Usage Available for Requested Dates", inferred=True)
            )
        parsed.warnings.append("Le rapport ne contient aucun usage pour sa période.")
    parsed.warnings += consistency.check(parsed.rows)
    for exception in parsed.exceptions:
        if exception.code in codes.FLAG:
            parsed.warnings.append(
                f"Exception {exception.code} ({codes.label(exception.code)}) : le fournisseur "
                "a ignoré une partie de la demande, les données peuvent ne pas être celles "
                f"demandées. {exception.message}".strip()
            )
        elif exception.code in codes.PARTIAL:
            parsed.warnings.append(
                f"Exception {exception.code} ({codes.label(exception.code)}) : "
                f"{exception.data or exception.message}".strip()
            )
    return parsed


def no_usage(exceptions: list[CounterException]) -> NoUsageData:
    if not exceptions:
        return NoUsageData("La réponse ne contient ni rapport ni exception COUNTER.", [])
    listed = " ; ".join(
        f"{e.code} {codes.label(e.code)}{' — ' + e.message if e.message else ''}"
        for e in exceptions
    )
    return NoUsageData(f"Aucune donnée d'usage, exception COUNTER : {listed}.", exceptions)
