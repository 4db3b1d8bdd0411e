"""What a COUNTER report becomes once read: our dataclasses, never the vendor's structures."""

from dataclasses import dataclass, field
from datetime import date

R5 = "5"
R51 = "5.1"


class CounterError(ValueError):
    """A report that cannot be imported. ``message`` is French, for staff, and names where
    the problem is (a JSON path, a line and a column)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def release_named(value: str) -> str | None:
    """The release a report's ``Release`` names ("5", "5.0.2", "5.1"), None when empty;
    :class:`CounterError` for a release we do not import."""
    release = str(value or "").strip()
    if release == R51:
        return R51
    if release in ("5", "5.0") or release.startswith("5.0."):
        return R5
    if release:
        raise CounterError(
            f"Version COUNTER « {release} » non prise en charge : seules les versions 5 et "
            "5.1 sont importées."
        )
    return None


class NoUsageData(CounterError):
    """A reply that holds only COUNTER exceptions and no usage (a 2000, a 3032...): not a
    malformed report, but nothing to import. ``exceptions`` says why."""

    def __init__(self, message: str, exceptions: list["CounterException"]):
        super().__init__(message)
        self.exceptions = exceptions


@dataclass(frozen=True)
class CounterException:
    """A COUNTER exception as the vendor sent it (code normalised to an int, 0 when the
    vendor's code is unreadable)."""

    code: int
    message: str = ""
    data: str = ""
    inferred: bool = False  # added by us (a 200 with no items and no exception = 3030)

    def as_dict(self) -> dict:
        result = {"Code": self.code, "Message": self.message}
        if self.data:
            result["Data"] = self.data
        if self.inferred:
            result["Inferred"] = True
        return result

    def __str__(self) -> str:
        text = f"{self.code} {self.message}".strip()
        return f"{text} ({self.data})" if self.data else text


@dataclass(frozen=True)
class CountRow:
    """One monthly count, in the internal vocabulary (``stats.counter.vocabulary``)."""

    month: date  # the first day of the month
    metric_type: str
    count: int
    data_type: str = ""
    access_type: str = ""
    access_method: str = ""
    yop: str = ""
    title: str = ""  # a title (TR), an item (IR) or a database (DR); "" for PR
    item_id: str = ""  # "DOI:…", "ISBN:…", "Online_ISSN:…", "Proprietary:…"
    platform: str = ""

    def key(self) -> tuple:
        return (
            self.month, self.metric_type, self.data_type, self.access_type,
            self.access_method, self.yop, self.title, self.item_id,
        )  # fmt: skip


@dataclass
class ParsedReport:
    """A report read and checked: its header, its monthly counts (duplicates summed), the
    exceptions it carried and the warnings staff should see (French)."""

    report_id: str
    release: str
    report_name: str = ""
    created: str = ""
    created_by: str = ""
    customer_id: str = ""
    institution_name: str = ""
    begin: date | None = None  # first day of the first month of the reporting period
    end: date | None = None  # first day of the last month
    filters: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    exceptions: list[CounterException] = field(default_factory=list)
    rows: list[CountRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    file_format: str = "json"

    @property
    def platforms(self) -> list[str]:
        return sorted({row.platform for row in self.rows if row.platform})

    @property
    def platform(self) -> str:
        return self.filters.get("Platform") or ", ".join(self.platforms)[:200]

    def months(self) -> list[date]:
        """Every month the report speaks for: its reporting period when it says one (zero
        months are left out of R5.1 JSON, so the body alone is not enough) and the months
        of its counts."""
        months = {row.month for row in self.rows}
        if self.begin and self.end and self.begin <= self.end:
            month = self.begin
            while month <= self.end:
                months.add(month)
                month = next_month(month)
        return sorted(months)

    def codes(self) -> set[int]:
        return {exception.code for exception in self.exceptions}


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_of(value: str) -> date | None:
    """The first day of the month of ``yyyy-mm`` or ``yyyy-mm-dd``; None otherwise."""
    value = (value or "").strip()
    if len(value) < 7 or value[4] != "-":
        return None
    try:
        year, month = int(value[:4]), int(value[5:7])
        return date(year, month, 1)
    except ValueError:
        return None
