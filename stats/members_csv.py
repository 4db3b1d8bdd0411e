"""Reading a file of active members: one line per library and year.

Columns, in this order or named by a header line: the library (its identifier, e.g.
``villeurbanne``, or its name), the year, the number of active members. Separator ``;``
(a French spreadsheet's), ``,`` or a tab; UTF-8 (with or without BOM) or Windows-1252.
Each bad line gets its own French message; nothing here writes (``stats.services``).
"""

import csv
import io
import unicodedata
from dataclasses import dataclass

MAX_BYTES = 1_000_000
FIRST_YEAR = 2000
HEADER_WORDS = {
    "library": {"bibliotheque", "code", "nom", "library", "codebibliotheque"},
    "year": {"annee", "year"},
    "count": {"inscritsactifs", "inscrits", "actifs", "count", "nombre"},
}


@dataclass(frozen=True)
class MembersRow:
    line: int
    library_id: int
    library_name: str
    year: int
    count: int


def fold(text: str) -> str:
    """Lower case, no accents, letters and digits only: how names are compared."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in text if ch.isalnum())


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_members(
    data: bytes, libraries: dict[str, tuple[int, str]], allowed: set[int], this_year: int
) -> tuple[list[MembersRow], list[str]]:
    """The rows of the file and the errors, one per rejected line (« Ligne 3 : … »).

    ``libraries`` maps a folded identifier or name to (id, name); ``allowed`` are the
    libraries the person importing may enter members for."""
    if len(data) > MAX_BYTES:
        return [], ["Le fichier dépasse 1 Mo : est-ce bien une liste d'inscrits actifs ?"]
    text = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first else "\t" if "\t" in first else ","
    lines = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    order, start = _columns(lines[0] if lines else [])
    rows, errors, seen = [], [], {}
    for number, cells in enumerate(lines[start:], start=start + 1):
        if not any(cell.strip() for cell in cells):
            continue
        row, error = _row(number, cells, order, libraries, allowed, this_year)
        if error:
            errors.append(f"Ligne {number} : {error}")
            continue
        key = (row.library_id, row.year)
        if key in seen:
            errors.append(
                f"Ligne {number} : {row.library_name}, {row.year} figure déjà à la ligne "
                f"{seen[key]}."
            )
            continue
        seen[key] = number
        rows.append(row)
    if not rows and not errors:
        errors.append("Le fichier ne contient aucune ligne.")
    return rows, errors


def _columns(header: list[str]) -> tuple[list[int], int]:
    """Column positions of library, year, count, and the first line of data."""
    names = [fold(cell) for cell in header]
    found = []
    for field in ("library", "year", "count"):
        position = next((i for i, name in enumerate(names) if name in HEADER_WORDS[field]), None)
        found.append(position)
    if None not in found:
        return found, 1
    # A header in other words: the columns in their usual order.
    is_header = len(header) >= 3 and not header[1].strip().isdigit()
    return [0, 1, 2], 1 if is_header else 0


def _row(number, cells, order, libraries, allowed, this_year):
    if len(cells) <= max(order):
        return None, "il faut trois colonnes : bibliothèque, année, nombre d'inscrits actifs."
    library_text, year_text, count_text = (cells[i].strip() for i in order)
    library = libraries.get(fold(library_text))
    if library is None:
        return None, f"bibliothèque « {library_text} » inconnue (son identifiant ou son nom)."
    library_id, library_name = library
    if library_id not in allowed:
        return None, f"vous ne pouvez pas saisir les inscrits de {library_name}."
    if not year_text.isdigit() or not FIRST_YEAR <= int(year_text) <= this_year:
        return None, f"année « {year_text} » invalide (de {FIRST_YEAR} à {this_year})."
    digits = "".join(count_text.split())  # « 12 345 » as a spreadsheet may write it
    if not digits.isdigit():
        return None, f"nombre d'inscrits actifs « {count_text} » invalide (un entier positif)."
    return MembersRow(number, library_id, library_name, int(year_text), int(digits)), None
