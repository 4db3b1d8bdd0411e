"""Where a library system puts its copies in a MARC record, and how to read them.

A mapping is a plain dict, stored as JSON with the connector and edited by staff:

``tag``
    the field that holds one copy per occurrence ("995", "952", "852"...);
``barcode``, ``site``, ``call_number``, ``section``, ``status``, ``loan_category``,
``item_id``
    which subfield holds each :class:`~catalogue.records.ItemData` attribute
    (``item_id``: the copy's identifier in the system, Koha's itemnumber, what live
    availability through ILS-DI asks about). Several codes are read together and joined
    by a space ("khim": prefix, classification, item part, suffix); alternatives are
    separated by "|" and the first that gives something wins ("a|b": home library, else
    current library);
``due_date``
    a subfield that is present only while the copy is on loan (not available);
``not_for_loan``
    subfields whose value, when it is a number other than 0, makes the copy unavailable
    (Koha's "not for loan", "lost" and "withdrawn" statuses);
``available_statuses`` / ``unavailable_statuses``
    values of ``status`` that say the copy is on the shelf, or not.

A connector stores ``{"preset": name}`` (one of :data:`PRESETS`, chosen in the
back-office), possibly with keys overriding the preset's, or a whole mapping;
:func:`resolve` turns that into what :func:`read_items` reads.

A copy is available when nothing above says otherwise and the mapping has a way to say
so (a status listed as available, or Koha's convention that an empty or "0" status is a
copy on the shelf); when nothing can be told, ``available`` is ``None``.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from catalogue.marc import Field, MarcRecord
from catalogue.normalize import clean_text
from catalogue.records import ItemData

ItemMapping = dict[str, Any]

# Mapping key → ItemData attribute.
ATTRIBUTES = {
    "barcode": "barcode",
    "site": "site_code",
    "call_number": "call_number",
    "section": "section",
    "status": "status",
    "loan_category": "loan_category",
    "item_id": "item_id",
}
KEYS = frozenset(
    {
        "tag",
        "label",
        *ATTRIBUTES,
        "due_date",
        "not_for_loan",
        "available_statuses",
        "unavailable_statuses",
    }
)
_SPEC = re.compile(r"^[a-z0-9]+(\|[a-z0-9]+)*$")
_TAG = re.compile(r"^[0-9]{3}$")
_FIELD_LABELS = {
    "barcode": "code-barres",
    "site": "site",
    "call_number": "cote",
    "section": "section",
    "status": "statut",
    "loan_category": "catégorie de prêt",
    "due_date": "date de retour",
    "item_id": "identifiant de l'exemplaire",
}

# Koha, UNIMARC (the 995 Koha took from the French "recommandation 995"): $b home library
# (items.homebranch), $c current library (items.holdingbranch), $e shelving location
# (items.location), $f barcode, $h collection code (items.ccode), $k call number
# (items.itemcallnumber), $n due date (items.onloan), $o not for loan (items.notforloan),
# $r item type (items.itype), $0 withdrawn, $1 damaged, $2 lost, $9 itemnumber
# (items.itemnumber: in a real Koha GetRecords answer, tests/data/ilsdi/, the copy with
# 995$9 33028 is item 33028). Sources: Koha's UNIMARC frameworks
# (installer/data/mysql/fr-FR/marcflavour/unimarc_lecture_pub and the ru-RU UNIMARC
# framework, whose 995 block lists every items column), the Zebra index definitions
# etc/zebradb/marc_defs/unimarc/biblios/record.abs, and the Koha wiki page "Holdings data
# fields (9xx)".
KOHA_UNIMARC_995: ItemMapping = {
    "label": "Koha (UNIMARC, zone 995)",
    "tag": "995",
    "barcode": "f",
    "site": "b|c",
    "call_number": "k",
    "section": "e",
    "status": "o",
    "loan_category": "r",
    "item_id": "9",
    "due_date": "n",
    "not_for_loan": ["o", "2", "0"],
    "available_statuses": [],
    "unavailable_statuses": [],
}
# Koha, MARC 21: $a home library, $b current library, $c shelving location, $o call
# number, $p barcode, $q due date (items.onloan), $y item type, $7 not for loan, $1 lost,
# $0 withdrawn ($4 damaged does not stop a loan), $9 itemnumber (items.itemnumber).
# Sources: Koha's MARC 21 default framework and the items mapping Koha's own search tests
# use (t/db_dependent/Search.t, mock_GetMarcSubfieldStructure).
KOHA_MARC21_952: ItemMapping = {
    "label": "Koha (MARC 21, zone 952)",
    "tag": "952",
    "barcode": "p",
    "site": "a|b",
    "call_number": "o",
    "section": "c",
    "status": "7",
    "loan_category": "y",
    "item_id": "9",
    "due_date": "q",
    "not_for_loan": ["7", "1", "0"],
    "available_statuses": [],
    "unavailable_statuses": [],
}
# PMB's UNIMARC export (classes/import/import_expl.class.php, export_traite_exemplaires):
# 995 $a and $c the lender's name, $f barcode, $k call number, $u note, $o status code,
# $r document type code, $q section code. PMB's status codes are the library's own:
# staff list which ones mean "on the shelf".
PMB_UNIMARC_995: ItemMapping = {
    "label": "PMB (UNIMARC, zone 995)",
    "tag": "995",
    "barcode": "f",
    "site": "a|c",
    "call_number": "k",
    "section": "q",
    "status": "o",
    "loan_category": "r",
    "available_statuses": [],
    "unavailable_statuses": [],
}
# The same export's detailed 996: $f barcode, $k call number, $w location code (the
# site), $v its name, $y section code, $x its name, $r document type code, $2 status
# code, $1 its name, $n return date of a loan.
PMB_UNIMARC_996: ItemMapping = {
    "label": "PMB (UNIMARC, zone 996 détaillée)",
    "tag": "996",
    "barcode": "f",
    "site": "w|v",
    "call_number": "k",
    "section": "x|y",
    "status": "2",
    "loan_category": "r",
    "due_date": "n",
    "available_statuses": [],
    "unavailable_statuses": [],
}
# Holdings field 852 (MARC 21 Holdings and UNIMARC/B 852): $a institution, $b
# sublocation (the site), $c shelving location, $k prefix, $h classification part, $i
# item part and $m suffix of the call number, or $j shelving control number; $p piece
# designation (barcode).
GENERIC_852: ItemMapping = {
    "label": "Zone 852 (localisation, MARC 21 ou UNIMARC)",
    "tag": "852",
    "barcode": "p",
    "site": "b|a",
    "call_number": "khim|j",
    "section": "c",
    "available_statuses": [],
    "unavailable_statuses": [],
}

PRESETS: dict[str, ItemMapping] = {
    "koha_unimarc_995": KOHA_UNIMARC_995,
    "koha_marc21_952": KOHA_MARC21_952,
    "pmb_unimarc_995": PMB_UNIMARC_995,
    "pmb_unimarc_996": PMB_UNIMARC_996,
    "generic_852": GENERIC_852,
}


def preset_choices() -> list[tuple[str, str]]:
    """(name, French label) of each preset, for a select in the back-office."""
    return [(name, preset["label"]) for name, preset in PRESETS.items()]


def _statuses(value: Any, key: str) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.replace("\n", ",").split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"« {key} » doit être une liste de statuts.")
    return [v.strip() for v in value if v.strip()]


def validate_mapping(data: Mapping[str, Any]) -> ItemMapping:
    """The mapping as :func:`read_items` uses it (statuses as lists, codes lower-case),
    or ValueError saying in French what is wrong."""
    if not isinstance(data, Mapping):
        raise ValueError("La correspondance des exemplaires doit être un objet.")
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise ValueError(f"Clé(s) inconnue(s) dans la correspondance : {', '.join(unknown)}.")
    tag = str(data.get("tag") or "").strip()
    if not _TAG.match(tag) or tag < "010":
        raise ValueError(
            f"Zone des exemplaires invalide : « {tag} » (trois chiffres, de 010 à 999)."
        )
    mapping: ItemMapping = {"tag": tag}
    if data.get("label"):
        mapping["label"] = str(data["label"])
    for key in (*ATTRIBUTES, "due_date"):
        value = data.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            raise ValueError(f"Sous-zone de « {_FIELD_LABELS[key]} » invalide : {value!r}.")
        spec = value.strip().lower().replace(" ", "")
        if not _SPEC.match(spec):
            raise ValueError(
                f"Sous-zone de « {_FIELD_LABELS[key]} » invalide : « {value} » "
                "(codes de sous-zone, « | » entre les choix possibles)."
            )
        mapping[key] = spec
    if not any(k in mapping for k in ("barcode", "call_number", "site")):
        raise ValueError(
            "La correspondance doit indiquer au moins la sous-zone du code-barres, "
            "de la cote ou du site."
        )
    not_for_loan = _statuses(data.get("not_for_loan"), "not_for_loan")
    for code in not_for_loan:
        if len(code) != 1 or not code.isalnum():
            raise ValueError(f"Sous-zone de statut « {code} » invalide : un seul caractère.")
    if not_for_loan:
        mapping["not_for_loan"] = [c.lower() for c in not_for_loan]
    available = _statuses(data.get("available_statuses"), "available_statuses")
    unavailable = _statuses(data.get("unavailable_statuses"), "unavailable_statuses")
    both = sorted(set(map(str.casefold, available)) & set(map(str.casefold, unavailable)))
    if both:
        raise ValueError(
            f"Statut(s) à la fois disponible(s) et indisponible(s) : {', '.join(both)}."
        )
    if (available or unavailable) and "status" not in mapping:
        raise ValueError("Des statuts sont listés mais la sous-zone du statut n'est pas indiquée.")
    mapping["available_statuses"] = available
    mapping["unavailable_statuses"] = unavailable
    return mapping


@dataclass(frozen=True)
class CompiledMapping:
    """A mapping with its subfield specifications parsed once for a whole harvest."""

    tag: str
    readers: tuple[tuple[str, tuple[str, ...]], ...]  # attribute, alternatives
    due_date: str
    not_for_loan: tuple[str, ...]
    available: frozenset[str]
    unavailable: frozenset[str]


def compile_mapping(mapping: Mapping[str, Any]) -> CompiledMapping:
    """Parse a (validated) mapping once; :func:`read_items` accepts the result."""
    readers = tuple(
        (attribute, tuple(mapping[key].split("|")))
        for key, attribute in ATTRIBUTES.items()
        if mapping.get(key)
    )
    return CompiledMapping(
        tag=mapping["tag"],
        readers=readers,
        due_date=mapping.get("due_date") or "",
        not_for_loan=tuple(mapping.get("not_for_loan") or ()),
        available=frozenset(s.casefold() for s in mapping.get("available_statuses") or ()),
        unavailable=frozenset(s.casefold() for s in mapping.get("unavailable_statuses") or ()),
    )


def resolve(stored: Mapping[str, Any] | None) -> CompiledMapping | None:
    """The mapping a connector stores, ready for :func:`read_items`, or ``None`` when its
    records carry no copies. ``stored`` is ``{}``, ``{"preset": name}`` (the keys given
    besides the name override the preset's) or a whole mapping. Raises ValueError
    (French) for an unknown preset or an invalid mapping."""
    if not stored:
        return None
    data = dict(stored)
    name = data.pop("preset", "")
    if name:
        if name not in PRESETS:
            raise ValueError(f"Modèle de lecture des exemplaires inconnu : « {name} ».")
        data = {**PRESETS[name], **data}
    return compile_mapping(validate_mapping(data))


def _value(item: Field, alternatives: tuple[str, ...]) -> str:
    for codes in alternatives:
        if len(codes) == 1:
            value = clean_text(item.get(codes))
        else:
            value = " ".join(v for v in (clean_text(item.get(c)) for c in codes) if v)
        if value:
            return value
    return ""


def _available(item: Field, status: str, mapping: CompiledMapping) -> bool | None:
    if mapping.due_date and item.get(mapping.due_date).strip():
        return False
    unknown = False
    for code in mapping.not_for_loan:
        value = item.get(code).strip()
        if value in ("", "0"):
            continue
        if value.lstrip("-").isdigit():
            return False
        unknown = True  # not Koha's numeric convention: cannot tell
    key = status.casefold()
    if key and key in mapping.unavailable:
        return False
    if key and key in mapping.available:
        return True
    if unknown:
        return None
    if mapping.not_for_loan:
        return True
    return None


def read_items(record: MarcRecord, mapping: Mapping[str, Any] | CompiledMapping) -> list[ItemData]:
    """Every copy the record carries in the mapping's field, as :class:`ItemData`.

    ``mapping`` is a dict as :func:`validate_mapping` returns it, or its
    :func:`compile_mapping` (faster when one mapping reads a whole harvest).
    """
    if not isinstance(mapping, CompiledMapping):
        mapping = compile_mapping(mapping)
    items = []
    for item in record.fields:
        if item.tag != mapping.tag:
            continue
        values = {key: _value(item, alternatives) for key, alternatives in mapping.readers}
        if not any(values.values()):
            continue
        items.append(
            ItemData(**values, available=_available(item, values.get("status", ""), mapping))
        )
    return items
