"""What a harvester does with each COUNTER exception (COUNTER.md §2, after Celus's rules
and ``celus-nigiri``'s code table). The codes' names are the CoP's; their French labels
are what staff read."""

from enum import StrEnum


class Action(StrEnum):
    IMPORT = "import"  # 0, 1–999, or no exception: import the data
    FLAG = "flag"  # 3050–3071: import, but the data may not be what was asked
    PARTIAL = "partial"  # 3031, 3040: import what came, ask again later (capped)
    EMPTY = "empty"  # 3030: no usage; an empty-month marker, checked again a few times
    UNAVAILABLE = "unavailable"  # 3032 (and R5's 3000/3010): never ask again
    BACKOFF = "backoff"  # 1000, 1010, 1011: exponential backoff
    COOL_DOWN = "cool_down"  # 1020: the server's rate limit; pause the whole server
    CONFIG = "config"  # 1030: our request lacks something; staff must fix the settings
    DATES = "dates"  # 3020: the server refuses this month; try again much later
    CREDENTIALS = "credentials"  # 2000, 2010, 2011, 2020, 2030: stop and alert


LABELS = {
    0: "Information",
    1000: "Service indisponible",
    1010: "Service occupé",
    1011: "Rapport en cours de préparation",
    1020: "Trop de requêtes",
    1030: "Informations insuffisantes (paramètre manquant)",
    2000: "Demandeur non autorisé",
    2010: "Demandeur non autorisé pour cet établissement",
    2011: "Rapports globaux non pris en charge",
    2020: "Clé d'API invalide",
    2030: "Adresse IP non autorisée",
    3000: "Rapport non pris en charge",
    3010: "Version du rapport non prise en charge",
    3020: "Dates invalides",
    3030: "Aucun usage pour ces dates",
    3031: "Usage pas encore disponible",
    3032: "Usage plus disponible pour ces dates",
    3040: "Données partielles",
    3050: "Paramètre non reconnu",
    3060: "Valeur de filtre invalide",
    3061: "Filtres incompatibles",
    3062: "Attribut invalide",
    3063: "Composants non pris en charge",
    3070: "Filtre requis absent",
    3071: "Attribut requis absent",
    3080: "Limite de volume atteinte",
}

CREDENTIALS = {2000, 2010, 2011, 2020, 2030}
CONFIG = {1030}
DATES = {3020}
COOL_DOWN = {1020}
BACKOFF = {1000, 1010, 1011}
UNAVAILABLE = {3032, 3000, 3010}
PARTIAL = {3031, 3040, 3080}
EMPTY = {3030}
FLAG = {3050, 3060, 3061, 3062, 3063, 3070, 3071}

# The order in which a reply's codes decide what to do: the most serious first.
PRIORITY = [
    (CREDENTIALS, Action.CREDENTIALS),
    (CONFIG, Action.CONFIG),
    (COOL_DOWN, Action.COOL_DOWN),
    (BACKOFF, Action.BACKOFF),
    (DATES, Action.DATES),
    (UNAVAILABLE, Action.UNAVAILABLE),
]


def label(code: int) -> str:
    if 1 <= code <= 999:
        return "Avertissement du fournisseur"
    return LABELS.get(code, "Exception inconnue")


def decide(codes: set[int], *, has_data: bool) -> Action:
    """What to do with a reply carrying ``codes`` (and usage data or not)."""
    for group, action in PRIORITY:
        if codes & group and not (has_data and action == Action.UNAVAILABLE):
            return action
    if codes & PARTIAL:
        return Action.PARTIAL
    if not has_data and codes & EMPTY:
        return Action.EMPTY
    if codes & FLAG:
        return Action.FLAG
    if not has_data and codes - {0} and not all(1 <= c <= 999 for c in codes):
        return Action.BACKOFF  # unavailability codes returned above
    return Action.IMPORT
