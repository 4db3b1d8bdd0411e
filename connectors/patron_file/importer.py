"""Import a library's patron list, a CSV file its staff export from a spreadsheet or an old
system, into its ``patron_file`` connector.

The format (README, "Patrons"): a first row naming the columns, in French or in English
(``numero_carte``/``card_number``, ``nom``/``last_name``, ``prenom``/``first_name``,
``email``/``courriel``, ``date_expiration``/``expiry``; accents, case and spaces do not
matter, other columns are ignored), then one patron per row. Separated by ``;`` (what a
French spreadsheet writes) or ``,`` or tabs, found from the first row. UTF-8, with or
without a byte-order mark, or else Windows-1252 (what Excel writes for "CSV" on
Windows). Dates as ``31/12/2026`` or ``2026-12-31``.

The file is the library's list as it is now: a patron it names is added or updated (their
password kept), a patron it no longer names is made inactive (not deleted: a later list
that names them again brings them back, password included). A row that cannot be read is
rejected with its line and the reason (a patron already known by its card number is then
left as they were), and the rest goes on; a file that cannot be read as
a whole (not a CSV, no card-number column, no valid row, broken quoting) changes nothing.
All of it happens in one transaction.
"""

import csv
import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.security import normalise_card_number
from connectors.models import Connector, FilePatron, PatronImport

log = logging.getLogger(__name__)

DRIVER = "patron_file"
MAX_BYTES = 10 * 1024 * 1024  # some 100,000 patrons: far more than a small library has
BATCH = 500
CARD_MAX = 40
NAME_MAX = 150
DELIMITERS = (";", ",", "\t")  # on a tie, ";": what a French spreadsheet writes
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")

# Field → the column names that mean it, folded (see _fold_header).
COLUMNS = {
    "card_number": (
        "numero_carte", "numero_de_carte", "num_carte", "no_carte", "n_carte", "carte",
        "numero_lecteur", "card_number", "card", "card_no", "barcode", "code_barre",
    ),
    "last_name": ("nom", "nom_de_famille", "last_name", "lastname", "surname", "family_name"),
    "first_name": ("prenom", "first_name", "firstname", "given_name"),
    "email": (
        "email", "e_mail", "courriel", "mail", "adresse_email", "adresse_e_mail",
        "adresse_mail", "email_address",
    ),
    "expires_on": (
        "date_expiration", "date_d_expiration", "expiration", "fin_abonnement",
        "fin_d_abonnement", "date_fin_abonnement", "valable_jusqu_au", "expiry", "expiry_date",
        "expires_on", "expiration_date",
    ),
}  # fmt: skip
REQUIRED = ("card_number", "last_name")
EXPECTED = (
    "numero_carte (ou card_number), nom (ou last_name), prenom (ou first_name), "
    "email (ou courriel) et date_expiration (ou expiry)"
)


class PatronFileError(Exception):
    """The file as a whole cannot be imported; nothing was changed. ``message`` is French,
    for the staff member who gave the file."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PatronRow:
    """One accepted row (``email`` empty and ``expires_on`` None when the file does not
    say them)."""

    line: int
    card_number: str
    first_name: str
    last_name: str
    email: str
    expires_on: date | None


class RowRejected(ValueError):
    pass


# ---------------------------------------------------------------- reading the file


def decode(data: bytes) -> tuple[str, str]:
    """The text of the file and the name of its encoding: UTF-8 whenever the bytes are
    valid UTF-8 (a byte-order mark dropped), else Windows-1252."""
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise PatronFileError(
            "Ce fichier n'est ni en UTF-8 ni en Windows-1252 : enregistrez-le au format "
            "« CSV UTF-8 » depuis votre tableur."
        ) from None


def _fold_header(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


_ALIASES = {alias: field for field, aliases in COLUMNS.items() for alias in aliases}


def read_header(first_line: str) -> tuple[str, dict[str, int]]:
    """The delimiter and, for each field the header names, its column: the delimiter that
    makes the most columns known. Raises :class:`PatronFileError` without the required
    columns."""
    best: tuple[int, str, dict[str, int]] = (-1, ";", {})
    for delimiter in DELIMITERS:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        columns: dict[str, int] = {}
        for index, cell in enumerate(cells):
            field = _ALIASES.get(_fold_header(cell))
            if field and field not in columns:
                columns[field] = index
        if len(columns) > best[0]:
            best = (len(columns), delimiter, columns)
    _count, delimiter, columns = best
    missing = [field for field in REQUIRED if field not in columns]
    if missing:
        names = {"card_number": "du numéro de carte", "last_name": "du nom"}
        wanting = " et ".join(names[field] for field in missing)
        raise PatronFileError(
            f"Colonne {wanting} introuvable. La première ligne du fichier doit nommer ses "
            f"colonnes : {EXPECTED}."
        )
    return delimiter, columns


def parse_date(value: str) -> date:
    """A date written ``31/12/2026``, ``2026-12-31`` (a time after it is ignored), or
    ``31-12-2026``/``31.12.2026``; ValueError with a French reason otherwise."""
    text = value.strip()
    found = re.match(r"^(\d{4}-\d{2}-\d{2})[T ]", text) or re.match(r"^(\S+)\s+\d", text)
    if found:
        text = found.group(1)
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(
        f"date d'expiration illisible : « {value.strip()[:30]} » (attendu JJ/MM/AAAA ou AAAA-MM-JJ)"
    )


def _cell(cells: list[str], columns: dict[str, int], field: str) -> str:
    index = columns.get(field)
    if index is None or index >= len(cells):
        return ""
    return " ".join(cells[index].split())


def read_row(line: int, cells: list[str], columns: dict[str, int]) -> PatronRow:
    """One row as a patron, or :class:`RowRejected` with a French reason."""
    card_number = normalise_card_number(_cell(cells, columns, "card_number"))
    if not card_number:
        raise RowRejected("numéro de carte manquant")
    if len(card_number) > CARD_MAX:
        raise RowRejected(f"numéro de carte trop long ({CARD_MAX} caractères au plus)")
    last_name = _cell(cells, columns, "last_name")[:NAME_MAX]
    first_name = _cell(cells, columns, "first_name")[:NAME_MAX]
    if not last_name and not first_name:
        raise RowRejected("nom manquant")
    email = _cell(cells, columns, "email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise RowRejected("adresse e-mail invalide") from None
    written = _cell(cells, columns, "expires_on")
    try:
        expires_on = parse_date(written) if written else None
    except ValueError as error:
        raise RowRejected(str(error)) from None
    return PatronRow(line, card_number, first_name, last_name, email, expires_on)


# ---------------------------------------------------------------- the import


def import_patron_file(
    connector: Connector, data: bytes, *, file_name: str = "", actor=None
) -> PatronImport:
    """Import ``data`` (the bytes of a CSV file) as the library's patron list now, and
    return the import's record (counts, rejected rows). Raises :class:`PatronFileError`
    (French) when the file cannot be imported at all: then nothing has changed."""
    if connector.driver != DRIVER:
        raise PatronFileError("Ce connecteur n'est pas une liste de lecteurs importée.")
    if len(data) > MAX_BYTES:
        raise PatronFileError(
            f"Fichier trop volumineux (plus de {MAX_BYTES // (1024 * 1024)} Mo) : une liste "
            "de lecteurs au format CSV est bien plus petite. Est-ce le bon fichier ?"
        )
    if data[:4] == b"PK\x03\x04" or b"\x00" in data[:4096]:
        raise PatronFileError(
            "Ce fichier n'est pas un fichier CSV (un classeur Excel ou LibreOffice ?) : "
            "enregistrez la feuille au format CSV, puis téléversez ce fichier."
        )
    text, encoding = decode(data)
    first_line = text.split("\n", 1)[0].rstrip("\r")
    if not first_line.strip():
        raise PatronFileError(
            "Le fichier est vide, ou sa première ligne ne nomme pas ses colonnes."
        )
    delimiter, columns = read_header(first_line)
    with transaction.atomic():
        # One import of a connector at a time: a second waits for the first to commit.
        Connector.objects.select_for_update().filter(pk=connector.pk).first()
        record = PatronImport(
            connector=connector,
            imported_by=actor,
            file_name=(file_name or "")[-255:],
            encoding=encoding,
        )
        _Importer(connector, record, columns).run(text, delimiter)
        record.save()
    log.info("patron file import: connector %s: %s", connector.pk, record.summary())
    return record


class _Importer:
    def __init__(self, connector: Connector, record: PatronImport, columns: dict[str, int]):
        self.connector = connector
        self.record = record
        self.columns = columns
        self.existing = {p.card_number: p for p in FilePatron.objects.filter(connector=connector)}
        self.seen: dict[str, int] = {}  # card number → the line that gave it
        # Card numbers of rejected rows: a known patron whose row has a typo stays as is.
        self.kept: set[str] = set()
        self.to_create: list[FilePatron] = []

    def run(self, text: str, delimiter: str) -> None:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        try:
            next(reader)  # the header
            while True:
                line = reader.line_num + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                if not any(cell.strip() for cell in cells):
                    continue
                self.record.read += 1
                self._take(line, cells)
        except csv.Error as error:
            raise PatronFileError(
                f"Ligne {reader.line_num} illisible ({error}) : guillemets mal fermés ? "
                "Le fichier n'a pas été importé ; la liste actuelle est conservée."
            ) from None
        if not self.seen:
            raise PatronFileError(
                "Aucune ligne valide dans ce fichier : il n'a pas été importé, la liste "
                "actuelle est conservée." + self._first_reasons()
            )
        self._flush()
        self._deactivate_absent()

    def _first_reasons(self) -> str:
        reasons = [f"ligne {r['ligne']} : {r['motif']}" for r in self.record.rejected_rows[:3]]
        return f" ({' ; '.join(reasons)})" if reasons else ""

    def _reject(self, line: int, card: str, reason: str) -> None:
        self.record.rejected += 1
        self.record.rejected_rows.append({"ligne": line, "carte": card[:CARD_MAX], "motif": reason})

    def _take(self, line: int, cells: list[str]) -> None:
        try:
            row = read_row(line, cells, self.columns)
        except RowRejected as error:
            card = normalise_card_number(_cell(cells, self.columns, "card_number"))
            self._reject(line, card, str(error))
            self.kept.add(card)
            return
        if row.card_number in self.seen:
            self._reject(
                line,
                row.card_number,
                f"numéro de carte déjà présent ligne {self.seen[row.card_number]} "
                "(cette ligne est ignorée)",
            )
            return
        self.seen[row.card_number] = line
        patron = self.existing.get(row.card_number)
        if patron is None:
            self.to_create.append(self._new(row))
            self.record.created += 1
            if len(self.to_create) >= BATCH:
                self._flush()
        elif self._update(patron, row):
            self.record.updated += 1
        else:
            self.record.unchanged += 1

    def _new(self, row: PatronRow) -> FilePatron:
        return FilePatron(
            connector=self.connector,
            card_number=row.card_number,
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            expires_on=row.expires_on,
            password=make_password(None),  # bulk_create does not call save()
        )

    def _update(self, patron: FilePatron, row: PatronRow) -> bool:
        """Bring a known patron up to date with their row; whether anything changed. The
        password is not among what a list changes, nor a column the file does not have."""
        wanted = {"first_name": row.first_name, "last_name": row.last_name, "active": True}
        if "email" in self.columns:
            wanted["email"] = row.email
        if "expires_on" in self.columns:
            wanted["expires_on"] = row.expires_on
        changed = [name for name, value in wanted.items() if getattr(patron, name) != value]
        if not changed:
            return False
        if not patron.active:
            self.record.reactivated += 1
        for name in changed:
            setattr(patron, name, wanted[name])
        patron.save(update_fields=[*changed, "updated_at"])
        return True

    def _flush(self) -> None:
        if self.to_create:
            FilePatron.objects.bulk_create(self.to_create, batch_size=BATCH)
            self.to_create = []

    def _deactivate_absent(self) -> None:
        absent = [
            patron.pk
            for number, patron in self.existing.items()
            if patron.active and number not in self.seen and number not in self.kept
        ]
        for start in range(0, len(absent), BATCH):
            FilePatron.objects.filter(pk__in=absent[start : start + BATCH]).update(
                active=False, updated_at=timezone.now()
            )
        self.record.deactivated = len(absent)
