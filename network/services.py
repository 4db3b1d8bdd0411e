"""Writes to the network's data: importing sites from the Ministry of Culture's list."""

import csv
import io
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.text import slugify

from network.models import Commune, Feature, Library, Site

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("Code_bib", "nom_de_l_etablissement", "Adresse", "CP", "Ville")
KIND_BY_ADDRESS_TYPE = {"Bibliobus": "mobile", "Bibliothèque départementale": "service"}
NO_WEBSITE = {"", "absence de page internet"}
SMALL_WORDS = {"de", "du", "des", "la", "le", "les", "et", "au", "aux", "sur", "en", "l", "d"}
MAX_SEATS = 2_147_483_647  # the largest value every database accepts in the column
SPELLING = {
    "Bibliotheque": "Bibliothèque",
    "Mediatheque": "Médiathèque",
    "Médiatheque": "Médiathèque",
}


class SiteImportError(Exception):
    """The file was refused; ``errors`` lists line-numbered French messages. Nothing changed."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} erreur(s) dans le fichier")
        self.errors = errors


@dataclass
class SiteImportResult:
    created: int = 0
    updated: int = 0
    libraries_created: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Row:
    line: int
    code: str
    name: str
    address: str
    postcode: str
    commune: Commune
    latitude: Decimal | None
    longitude: Decimal | None
    kind: str
    website: str
    seats: int | None
    wifi: bool | None


def tidy_name(raw: str) -> str:
    """Readable site names: the ministry's list has SHOUTING and missing accents."""
    name = re.sub(r"\s+", " ", raw).strip()
    letters = [c for c in name if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        words = []
        for index, word in enumerate(name.lower().split(" ")):
            words.append(word if index and word in SMALL_WORDS else word[:1].upper() + word[1:])
        name = " ".join(words)
        name = re.sub(r"\b([LD])'(\w)", lambda m: f"{m.group(1)}'{m.group(2).upper()}", name)
    for wrong, right in SPELLING.items():
        name = re.sub(rf"\b{wrong}\b", right, name)
    return name


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def _commune_index() -> tuple[dict[str, Commune], dict[str, Commune]]:
    by_code: dict[str, Commune] = {}
    by_name: dict[str, Commune] = {}
    for commune in Commune.objects.all():
        by_code[commune.insee_code] = commune
        for code in commune.former_code_list():
            by_code.setdefault(code, commune)
        by_name[_fold(commune.name)] = commune
    return by_code, by_name


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheets saved on Windows: cp1252 decodes any byte, so it is the last resort.
        return data.decode("cp1252")


def _coordinate(value: str, low: int, high: int) -> Decimal:
    number = Decimal(value.strip().replace(",", "."))
    if not low <= number <= high:
        raise InvalidOperation
    return number.quantize(Decimal("0.000001"))


def _parse_rows(text: str, warnings: list[str]) -> tuple[list[_Row], list[str]]:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [f"Colonnes manquantes : {', '.join(missing)} (ligne 1, en-tête)."]
    by_code, by_name = _commune_index()
    rows, errors, seen = [], [], {}
    url_validator = URLValidator(schemes=["http", "https"])
    for record in reader:
        line = reader.line_num

        def get(column: str, record=record) -> str:
            return (record.get(column) or "").strip()

        problems = []
        code, name = get("Code_bib"), get("nom_de_l_etablissement")
        if not code:
            problems.append("le code (Code_bib) est vide")
        elif code in seen:
            problems.append(f"le code {code} figure déjà ligne {seen[code]}")
        else:
            seen[code] = line
        if not name:
            problems.append("le nom de l'établissement est vide")
        postcode = get("CP")
        if postcode and not re.fullmatch(r"\d{5}", postcode):
            problems.append(f"code postal « {postcode} » invalide (cinq chiffres)")
        insee = get("code_insee_commune_metropole")
        commune = by_code.get(insee) if insee else by_name.get(_fold(get("Ville")))
        if commune is None:
            problems.append(
                f"commune « {get('Ville')} »"
                + (f" (code INSEE {insee})" if insee else "")
                + " inconnue du réseau"
            )
        latitude = longitude = None
        if get("Latitude") or get("Longitude"):
            try:
                latitude = _coordinate(get("Latitude"), -90, 90)
                longitude = _coordinate(get("Longitude"), -180, 180)
            except InvalidOperation:
                problems.append(
                    f"coordonnées invalides (latitude « {get('Latitude')} », "
                    f"longitude « {get('Longitude')} »)"
                )
        seats = None
        if get("nombre_de_places"):
            try:
                seats = int(float(get("nombre_de_places").replace(",", ".")))
                if not 0 <= seats <= MAX_SEATS:
                    raise ValueError(seats)
            except (ValueError, OverflowError):
                problems.append(f"nombre de places « {get('nombre_de_places')} » invalide")
                seats = None
        # Checked here, not left to the database: PostgreSQL would refuse the row midway.
        for what, value, column in (
            ("le code", code, "source_code"),
            ("le nom", tidy_name(name), "name"),
            ("l'adresse", get("Adresse"), "address"),
        ):
            limit = Site._meta.get_field(column).max_length
            if len(value) > limit:
                problems.append(f"{what} est trop long ({len(value)} caractères, {limit} au plus)")
        website = get("site_internet")
        if website.lower() in NO_WEBSITE:
            website = ""
        elif not website.lower().startswith(("http://", "https://")):
            website = f"https://{website}"
        if website:
            try:
                url_validator(website)
                if len(website) > Site._meta.get_field("website").max_length:
                    raise ValidationError("too long")
            except ValidationError:
                warnings.append(
                    f"Ligne {line} : site web « {get('site_internet')} » ignoré (adresse invalide)."
                )
                website = ""
        if problems:
            errors.append(f"Ligne {line} : " + " ; ".join(problems) + ".")
            continue
        wifi = {"oui": True, "non": False}.get(get("connexion_wi_fi").lower())
        rows.append(
            _Row(
                line=line,
                code=code,
                name=tidy_name(name),
                address=get("Adresse"),
                postcode=postcode,
                commune=commune,
                latitude=latitude,
                longitude=longitude,
                kind=KIND_BY_ADDRESS_TYPE.get(get("type_adresse"), "building"),
                website=website,
                seats=seats,
                wifi=wifi,
            )
        )
    if not rows and not errors:
        errors.append("Le fichier ne contient aucune ligne de données.")
    return rows, errors


def library_name_for(commune: Commune, site_count: int) -> str:
    article = "d'" if _fold(commune.name)[:1] in "aeiouyh" else "de "
    noun = "Bibliothèques" if site_count > 1 else "Bibliothèque"
    return f"{noun} {article}{commune.name}"


def _unique_slug(model, base: str, exclude_pk=None) -> str:
    slug, n = base[:190], 2
    while model.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        slug, n = f"{base[:185]}-{n}", n + 1
    return slug


def _library_for(row: _Row, rows_in_commune: int, result: SiteImportResult) -> Library:
    if row.kind != "service":
        library = Library.objects.filter(communes=row.commune).order_by("pk").first()
        if library:
            return library
        name = library_name_for(row.commune, rows_in_commune)
    else:
        name = row.name
    library = create_library(name=name, communes=[row.commune])
    result.libraries_created.append(name)
    return library


def create_library(*, name: str, communes=(), **fields) -> Library:
    """A new library with its page under /reseau/ (where its staff publish)."""
    from editorial.services import ensure_library_page

    with transaction.atomic():
        library = Library.objects.create(
            name=name,
            slug=fields.pop("slug", None) or _unique_slug(Library, slugify(name)),
            **fields,
        )
        library.communes.add(*communes)
        ensure_library_page(library)
    return library


def import_sites(data: bytes, *, actor=None) -> SiteImportResult:
    """Create or update sites from a CSV in the Ministry of Culture's column layout.

    The stable key is ``Code_bib``. All or nothing: any invalid line raises
    :class:`SiteImportError` with every line's problem and the database is untouched.
    Sites of a commune with no library yet are grouped into a new library for that town.
    """
    result = SiteImportResult()
    rows, errors = _parse_rows(_decode(data), result.warnings)
    if errors:
        raise SiteImportError(errors)
    per_commune: dict[int, int] = {}
    for row in rows:
        per_commune[row.commune.pk] = per_commune.get(row.commune.pk, 0) + 1
    wifi = Feature.objects.filter(slug="wifi").first()
    with transaction.atomic():
        for row in rows:
            site = Site.objects.filter(source_code=row.code).first()
            created = site is None
            if created:
                site = Site(
                    source_code=row.code,
                    library=_library_for(row, per_commune[row.commune.pk], result),
                )
            site.name = row.name
            site.address = row.address
            site.postcode = row.postcode
            site.commune = row.commune
            site.latitude, site.longitude = row.latitude, row.longitude
            site.kind = row.kind
            site.website = row.website or site.website
            site.seats = row.seats if row.seats is not None else site.seats
            site.slug = site.slug or _unique_slug(Site, slugify(f"{row.name} {row.commune.name}"))
            site.save()
            if wifi and row.wifi is not None:
                (site.features.add if row.wifi else site.features.remove)(wifi)
            if created:
                result.created += 1
            else:
                result.updated += 1
    logger.info(
        "Sites imported by %s: created=%d updated=%d",
        getattr(actor, "pk", "cli"),
        result.created,
        result.updated,
    )
    return result
