"""Checking a JSON report against the official COUNTER schemas (``schemas/``).

R5.1: the COUNTER_SUSHI API's OpenAPI 3.1 document, whose ``components/schemas`` are JSON
Schema 2020-12, registered whole as ``urn:counter`` with ``referencing``; a report is
checked against ``urn:counter#/components/schemas/<Report_ID>``. R5: the Swagger 2.0
document's ``definitions`` with Draft 4, one definition per report family.

Validation uses the well-known ``jsonschema``. The venv also has ``jsonschema_rs``
(faster), but measured here it refuses to compile the official R5.1 document: its ISIL
pattern ``^([A-Z]{2}|[a-zA-Z0-9]{1,3,4})-.{1,11}$`` is not a valid regex for it, so it
would need a patched copy of the schema. ``jsonschema`` gives error paths and sub-errors
that the French messages below are built from; it checks a yearly TR of 5,000 titles
(120,000 counts, 4 MB) in about 5 s on this machine, and a SUSHI reply (one month) in
well under a second.

What blocks an import: any departure from the schema in the body (items, performance,
counts) or in what identifies the report (Report_ID, Release, the reporting period).
What is only reported as a warning, because real vendors get it wrong without harming the
counts: the header's descriptive fields (Created, Created_By, Institution_*, Customer_ID,
Registry_Record), the exceptions' own fields (a made-up Severity) and extra properties.
"""

import json
from functools import cache

import jsonschema
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

from stats.counter.normalise import SCHEMAS
from stats.counter.report import R5, R51, CounterError

MAX_WARNINGS = 10
TOLERATED_HEADER_FIELDS = {
    "Created", "Created_By", "Institution_Name", "Institution_ID", "Customer_ID",
    "Registry_Record", "Exceptions",
}  # fmt: skip
EXTRA_PROPERTIES = {"additionalProperties", "unevaluatedProperties"}
R5_DEFINITIONS = {
    "PR": "COUNTER_platform_report",
    "DR": "COUNTER_database_report",
    "TR": "COUNTER_title_report",
    "IR": "COUNTER_item_report",
}
TYPES_FR = {
    "string": "un texte",
    "integer": "un nombre entier",
    "number": "un nombre",
    "object": "un objet",
    "array": "une liste",
    "boolean": "un booléen",
    "null": "vide (null)",
}


@cache
def _r51_registry() -> Registry:
    spec = json.loads((SCHEMAS / "COUNTER_SUSHI_API_r51.json").read_text(encoding="utf-8"))
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    return Registry().with_resource("urn:counter", resource), spec["components"]["schemas"]


@cache
def _r5_spec() -> dict:
    return json.loads((SCHEMAS / "COUNTER_SUSHI_r5.json").read_text(encoding="utf-8"))


@cache
def validator(release: str, report_id: str):
    """The validator of one report (R5.1: its own schema; R5: its family's), or
    :class:`CounterError` for a report the release does not define."""
    if release == R51:
        registry, schemas = _r51_registry()
        if report_id not in schemas or report_id.startswith(("Exception", "Status")):
            raise CounterError(f"Rapport « {report_id} » inconnu de COUNTER 5.1.")
        ref = {"$ref": f"urn:counter#/components/schemas/{report_id}"}
        return jsonschema.Draft202012Validator(ref, registry=registry)
    definition = R5_DEFINITIONS.get(report_id[:2])
    if release != R5 or definition is None:
        raise CounterError(f"Rapport « {report_id} » inconnu de COUNTER {release}.")
    spec = _r5_spec()
    schema = {"$ref": f"#/definitions/{definition}", "definitions": spec["definitions"]}
    resource = Resource.from_contents(schema, default_specification=DRAFT4)
    return jsonschema.Draft4Validator(schema, registry=Registry().with_resource("", resource))


def validate(report: dict, release: str, report_id: str) -> list[str]:
    """French warnings for tolerated departures from the schema; :class:`CounterError`
    with the first blocking one (its JSON path) and how many more there are."""
    blocking, tolerated = [], []
    for error in validator(release, report_id).iter_errors(report):
        (tolerated if _tolerated(error) else blocking).append(error)
    if blocking:
        worst = _deepest(best_match(blocking))
        more = len(blocking) - 1
        tail = f" (et {more} autre{'s' if more > 1 else ''} écart{'s' if more > 1 else ''})"
        raise CounterError(
            f"Le rapport ne respecte pas le schéma COUNTER {release} : {describe(worst)}"
            + (tail if more else "")
            + "."
        )
    warnings = list(
        dict.fromkeys(
            f"Écart au schéma COUNTER {release} toléré : {describe(e)}." for e in tolerated
        )
    )
    if len(warnings) > MAX_WARNINGS:
        warnings = [
            *warnings[:MAX_WARNINGS],
            f"… et {len(warnings) - MAX_WARNINGS} autres écarts tolérés.",
        ]
    return warnings


def _tolerated(error: ValidationError) -> bool:
    path = list(error.absolute_path)
    if error.validator in EXTRA_PROPERTIES:
        return True
    if path[:1] == ["Report_Header"]:
        if len(path) >= 2 and path[1] in TOLERATED_HEADER_FIELDS:
            return True
        if len(path) == 1 and error.validator == "required":
            missing = _missing(error)
            return missing in TOLERATED_HEADER_FIELDS
    return False


def _deepest(error: ValidationError) -> ValidationError:
    # oneOf/anyOf say "is not valid under any of the given schemas": the most relevant
    # sub-error says what is actually wrong.
    while error.context:
        error = best_match(error.context)
    return error


def json_path(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "la racine du document"


def _missing(error: ValidationError) -> str:
    message = error.message
    return message.split("'")[1] if message.count("'") >= 2 else message


def describe(error: ValidationError) -> str:
    """One schema error in French, with its JSON path."""
    where = json_path(error.absolute_path)
    value = error.instance
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > 60:
        shown = shown[:57] + "…"
    kind = error.validator
    if kind == "required":
        missing = _missing(error)
        return f"{where + '.' if error.absolute_path else ''}{missing} est absent"
    if kind == "type":
        expected = error.validator_value
        expected = expected if isinstance(expected, list) else [expected]
        wanted = " ou ".join(TYPES_FR.get(t, t) for t in expected)
        return f"{where} devrait être {wanted} (trouvé : {shown})"
    if kind == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value[:8])
        return f"{where} vaut {shown}, qui n'est pas une valeur admise ({allowed})"
    if kind == "const":
        return f"{where} vaut {shown} au lieu de {json.dumps(error.validator_value)}"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"{where} vaut {shown}, en dessous du minimum {error.validator_value}"
    if kind == "pattern":
        return f"{where} ({shown}) n'a pas la forme attendue"
    if kind == "format":
        return f"{where} ({shown}) n'est pas au format {error.validator_value}"
    if kind in ("minItems", "minProperties"):
        return f"{where} est vide"
    if kind in EXTRA_PROPERTIES:
        names = sorted(value) if isinstance(value, dict) else []
        return f"{where} contient des propriétés non prévues ({', '.join(map(str, names))[:120]})"
    if kind in ("oneOf", "anyOf"):
        return f"{where} ne correspond à aucune des formes admises"
    return f"{where} : {error.message}"
