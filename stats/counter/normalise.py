"""Undo the real-world quirks of SUSHI replies before anything reads them (COUNTER.md §2,
from Celus's, ezcounter's and Koha's tests):

- the whole body JSON-encoded as a string (sometimes twice);
- a capture wrapper ``{"body": …, "response": …}`` around the reply;
- lowercase (or otherwise re-cased) keys: ``report_header``, ``code``;
- the exception as a bare object at the root, or a root array of exceptions (or of one
  report);
- ``Report_Header.Exception`` (singular, an object or a list);
- ``Exceptions`` outside the header, at the root;
- ``Code`` as a string (``"3030"``);
- a 200 with ``Report_Items: []`` (or none) and no exception: treated as 3030, no usage.

:func:`normalise` returns an :class:`Envelope`: the report as a dict in the Code of
Practice's own shape (or None when the reply is only exceptions), the exceptions, and a
French note per quirk met, for staff.
"""

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from stats.counter.report import CounterError, CounterException
from stats.counter.vocabulary import METRIC_TYPES

SCHEMAS = Path(__file__).resolve().parent / "schemas"
NO_USAGE = 3030


@dataclass
class Envelope:
    report: dict | None
    exceptions: list[CounterException] = field(default_factory=list)
    quirks: list[str] = field(default_factory=list)


@cache
def known_keys() -> dict[str, str]:
    """Every property name of the official schemas (and the metric names, keys of R5.1's
    Performance), by its lowercase form."""
    names = set(METRIC_TYPES) | {"Exception", "Exceptions", "Severity", "Help_URL"}

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    names.update(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in SCHEMAS.glob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return {name.lower(): name for name in names}


def decode_json(data: bytes | str):
    """The JSON value of ``data`` (UTF-8, with or without a byte-order mark), or
    :class:`CounterError` saying where it breaks."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CounterError(
                f"Le fichier n'est pas en UTF-8 (octet illisible en position {error.start})."
            ) from None
    try:
        return json.loads(data)
    except json.JSONDecodeError as error:
        raise CounterError(
            f"Le fichier n'est pas un JSON valide : {error.msg} (ligne {error.lineno}, "
            f"colonne {error.colno})."
        ) from None


def normalise(data) -> Envelope:
    """The reply ``data`` (bytes, text or an already decoded value) with its quirks undone.
    Raises :class:`CounterError` when it is neither a report nor exceptions."""
    quirks: list[str] = []
    value = decode_json(data) if isinstance(data, bytes | str) else data
    value = _unstring(value, quirks)
    recased = recase(value)
    if recased != value:
        quirks.append("clés écrites sans respecter la casse COUNTER (corrigées)")
    value = recased
    if isinstance(value, dict) and "Report_Header" not in value and "body" in value:
        quirks.append("réponse enveloppée dans « body » (enveloppe retirée)")
        value = _unstring(value["body"], quirks)
        value = recase(value)
    if isinstance(value, list):
        value = _from_list(value, quirks)
    if not isinstance(value, dict):
        raise CounterError("Le fichier ne contient ni rapport COUNTER ni exception COUNTER.")
    if "Report_Header" not in value:
        if "Code" in value:
            quirks.append("exception seule à la racine de la réponse")
            return Envelope(None, [_exception(value)], quirks)
        if "Exceptions" in value or "Exception" in value:
            found = _as_list(value.get("Exceptions")) + _as_list(value.get("Exception"))
            quirks.append("exceptions hors de l'en-tête (Report_Header absent)")
            return Envelope(None, [_exception(e) for e in found if isinstance(e, dict)], quirks)
        raise CounterError(
            "Le fichier ne contient pas de rapport COUNTER : Report_Header est absent."
        )
    header = value["Report_Header"]
    if not isinstance(header, dict):
        raise CounterError(
            "Le rapport ne respecte pas le schéma COUNTER : Report_Header n'est pas un objet."
        )
    raw = _as_list(header.get("Exceptions"))
    if "Exception" in header:
        quirks.append("« Exception » au singulier dans l'en-tête (lu comme « Exceptions »)")
        raw += _as_list(header.pop("Exception"))
    for outside in ("Exceptions", "Exception"):
        if outside in value:
            quirks.append("« Exceptions » hors de l'en-tête (ramenées dans l'en-tête)")
            raw += _as_list(value.pop(outside))
    exceptions = []
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("Code"), str):
            quirks.append(f"code d'exception écrit comme texte (« {entry['Code']} »)")
        exceptions.append(_exception(entry))
        if isinstance(entry.get("Code"), str) and entry["Code"].strip().isdigit():
            entry["Code"] = int(entry["Code"].strip())
    if raw:
        header["Exceptions"] = [e for e in raw if isinstance(e, dict)]
    items = value.get("Report_Items")
    if not items and not exceptions:
        quirks.append("aucune donnée et aucune exception : lu comme l'exception 3030")
        exceptions.append(
            CounterException(NO_USAGE, "No Usage Available for Requested Dates", inferred=True)
        )
    return Envelope(value, exceptions, list(dict.fromkeys(quirks)))


def _unstring(value, quirks):
    for _ in range(3):  # a body encoded once, or twice, as a JSON string
        if not isinstance(value, str):
            return value
        quirks.append("corps de la réponse encodé comme une chaîne JSON (décodé)")
        value = decode_json(value)
    return value


def recase(value):
    """``value`` with every COUNTER key spelt as the Code of Practice spells it."""
    keys = known_keys()
    if isinstance(value, dict):
        return {keys.get(str(k).lower(), k): recase(v) for k, v in value.items()}
    if isinstance(value, list):
        return [recase(v) for v in value]
    return value


def _from_list(values: list, quirks: list[str]):
    reports = [v for v in values if isinstance(v, dict) and "Report_Header" in v]
    if len(reports) == 1 and len(values) == 1:
        quirks.append("rapport dans un tableau à la racine (tableau retiré)")
        return reports[0]
    if values and all(isinstance(v, dict) and "Code" in v for v in values):
        quirks.append("tableau d'exceptions à la racine de la réponse")
        return {"Exceptions": values}
    raise CounterError(
        "Le fichier contient un tableau JSON qui n'est ni un rapport ni une liste d'exceptions."
    )


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _exception(entry: dict) -> CounterException:
    code = entry.get("Code")
    try:
        number = int(str(code).strip())
    except (TypeError, ValueError):
        number = 0
    data = entry.get("Data")
    if data is not None and not isinstance(data, str):
        data = json.dumps(data, ensure_ascii=False)
    return CounterException(number, str(entry.get("Message") or "").strip(), (data or "").strip())
