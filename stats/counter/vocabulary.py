"""One internal vocabulary for R5 and R5.1 values.

R5.1 renamed the Access_Types (OA_Gold → Open, Other_Free_To_Read → Free_To_Read), split
R5's Database Data_Type into Database_Aggregated/AI/Full/Full_Item and dropped
Repository_Item. We store R5.1's names; R5's renamed values are translated, and the two R5
values without an R5.1 equivalent (Database, Repository_Item) are kept as they are, since
guessing which kind of database a vendor meant would invent data. Values are matched
without regard to case; unknown values are kept but reported as warnings (a namespaced
custom metric such as ``Vendor:Link_Out`` is allowed by the CoP §11 and not reported).
"""

DATA_TYPES = {
    # R5.1
    "Article": "Article",
    "Audiovisual": "Audiovisuel",
    "Book": "Livre",
    "Book_Segment": "Partie de livre",
    "Conference": "Conférence",
    "Conference_Item": "Contribution à une conférence",
    "Database_AI": "Base de données (A&I)",
    "Database_Aggregated": "Base de données agrégée",
    "Database_Full": "Base de données (texte intégral)",
    "Database_Full_Item": "Élément de base de données",
    "Dataset": "Jeu de données",
    "Image": "Image",
    "Interactive_Resource": "Ressource interactive",
    "Journal": "Revue",
    "Multimedia": "Multimédia",
    "News_Item": "Article de presse",
    "Newspaper_or_Newsletter": "Journal ou lettre d'information",
    "Other": "Autre",
    "Patent": "Brevet",
    "Platform": "Plateforme",
    "Reference_Item": "Entrée d'ouvrage de référence",
    "Reference_Work": "Ouvrage de référence",
    "Report": "Rapport",
    "Software": "Logiciel",
    "Sound": "Son",
    "Standard": "Norme",
    "Thesis_or_Dissertation": "Thèse ou mémoire",
    "Unspecified": "Non précisé",
    # R5 only, kept (no one R5.1 value says the same)
    "Database": "Base de données (R5)",
    "Repository_Item": "Élément d'archive ouverte (R5)",
}

ACCESS_TYPES = {
    "Controlled": "Contrôlé",
    "Open": "Libre (Open)",
    "Free_To_Read": "Lecture gratuite",
}
ACCESS_TYPE_R5 = {"OA_Gold": "Open", "Other_Free_To_Read": "Free_To_Read"}

ACCESS_METHODS = {"Regular": "Normal", "TDM": "Fouille de textes (TDM)"}

METRIC_TYPES = {
    "Total_Item_Investigations": "Consultations (total)",
    "Unique_Item_Investigations": "Consultations (éléments uniques)",
    "Unique_Title_Investigations": "Consultations (titres uniques)",
    "Total_Item_Requests": "Accès au contenu (total)",
    "Unique_Item_Requests": "Accès au contenu (éléments uniques)",
    "Unique_Title_Requests": "Accès au contenu (titres uniques)",
    "No_License": "Refus : pas de licence",
    "Limit_Exceeded": "Refus : limite d'accès simultanés atteinte",
    "Searches_Platform": "Recherches (plateforme)",
    "Searches_Regular": "Recherches (choisies)",
    "Searches_Automated": "Recherches (automatiques)",
    "Searches_Federated": "Recherches (fédérées)",
}

# The pairs the consistency checks compare: (smaller, larger).
UNIQUE_TOTAL = [
    ("Unique_Item_Requests", "Total_Item_Requests"),
    ("Unique_Item_Investigations", "Total_Item_Investigations"),
    ("Unique_Title_Requests", "Unique_Item_Requests"),
    ("Unique_Title_Investigations", "Unique_Item_Investigations"),
    ("Total_Item_Requests", "Total_Item_Investigations"),
]

_FOLDED = {
    "data_type": {k.lower(): k for k in DATA_TYPES},
    "access_type": {k.lower(): k for k in ACCESS_TYPES}
    | {k.lower(): v for k, v in ACCESS_TYPE_R5.items()},
    "access_method": {k.lower(): k for k in ACCESS_METHODS},
    "metric_type": {k.lower(): k for k in METRIC_TYPES},
}
LABELS = {
    "data_type": "Data_Type",
    "access_type": "Access_Type",
    "access_method": "Access_Method",
    "metric_type": "Metric_Type",
}


def canonical(kind: str, value, unknown: set[tuple[str, str]] | None = None) -> str:
    """``value`` in the internal vocabulary of ``kind`` (``data_type``, ``access_type``,
    ``access_method``, ``metric_type``); "" for an empty value. An unknown value is kept
    as written and added to ``unknown`` as (Element name, value)."""
    text = str(value or "").strip()
    if not text:
        return ""
    known = _FOLDED[kind].get(text.lower())
    if known:
        return known
    if unknown is not None and not (kind == "metric_type" and ":" in text):
        unknown.add((LABELS[kind], text))
    return text[:100]


def label(kind: str, value: str) -> str:
    """The French label of a stored value, for the back-office."""
    table = {
        "data_type": DATA_TYPES,
        "access_type": ACCESS_TYPES,
        "access_method": ACCESS_METHODS,
        "metric_type": METRIC_TYPES,
    }[kind]
    return table.get(value, value or "—")
