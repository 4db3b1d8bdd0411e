"""The demo network loaded by ``make run``: real communes and sites, demo hours and services.

Communes, boundaries and sites are the real open data copied into ``demo/``; opening
hours, services and exceptions are invented (plausible for each site's size) and every
site that gets them is flagged ``has_demo_values`` so nobody takes them for real.
"""

import csv
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction

from network.models import Commune, Feature, OpeningException, Site
from network.services import import_sites

DEMO_DIR = Path(settings.BASE_DIR) / "demo"
MERGED_COMMUNES = {"69149": "69152"}  # Oullins-Pierre-Bénite absorbed Pierre-Bénite in 2024
FORMER_NAMES = {"69149": "Oullins, Pierre-Bénite"}

HOURS_LARGE = "Tu,Th,Fr 12:00-19:00; We,Sa 10:00-18:00"
HOURS_MEDIUM = (
    "Tu 15:00-18:30; We 10:00-12:30,14:00-18:30; Fr 15:00-18:30; Sa 10:00-12:30,14:00-17:00"
)
HOURS_SMALL = "We 10:00-12:00,14:00-18:00; Sa 10:00-12:00"
HOURS_MOBILE = "We 14:00-17:00"
SUNDAY = "Su 14:00-18:00"


def _stable_choice(key: str, percent: int) -> bool:
    digest = hashlib.sha256(key.encode()).digest()
    return digest[0] * 100 // 256 < percent


def load_communes() -> int:
    boundaries = {
        feature["properties"]["code"]: feature["geometry"]
        for feature in json.loads((DEMO_DIR / "communes.geojson").read_text())["features"]
    }
    count = 0
    with (DEMO_DIR / "communes.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            Commune.objects.update_or_create(
                insee_code=row["code_insee"],
                defaults={
                    "name": row["nom"],
                    "population": int(row["population_municipale"]),
                    "former_codes": MERGED_COMMUNES.get(row["code_insee"], ""),
                    "former_names": FORMER_NAMES.get(row["code_insee"], ""),
                    "boundary": boundaries.get(row["code_insee"]),
                },
            )
            count += 1
    return count


def demo_hours(site: Site, sunday: bool) -> str:
    if site.kind == "service":
        return ""
    if site.kind == "mobile" or "bibliobus" in site.name.lower():
        return HOURS_MOBILE
    seats = site.seats or 0
    hours = HOURS_LARGE if seats >= 150 else HOURS_MEDIUM if seats >= 30 else HOURS_SMALL
    return f"{hours}; {SUNDAY}" if sunday else hours


def demo_features(site: Site) -> list[str]:
    seats, key = site.seats or 0, site.source_code or site.slug
    slugs = ["espace-jeunesse", "boite-retour"] if seats >= 15 else ["espace-jeunesse"]
    if seats >= 30:
        slugs += ["ordinateurs", "impression", "presse", "grands-caracteres", "livres-audio"]
    if seats >= 100:
        slugs += ["salles-travail", "jeux", "boucle-magnetique", "falc", "toilettes-adaptees"]
    if seats >= 150 and _stable_choice(key + "fablab", 50):
        slugs.append("fablab")
    if _stable_choice(key + "step-free", 85):
        slugs.append("plain-pied")
    if seats >= 30 and _stable_choice(key + "parking", 60):
        slugs.append("stationnement-pmr")
    return slugs


def fill_demo_values(today: date) -> int:
    """Give every site still without hours demo hours, services and exceptions."""
    sunday_codes = set()
    with (DEMO_DIR / "bibliotheques.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["ouverture_le_dimanche"].strip().lower() == "oui":
                sunday_codes.add(row["Code_bib"])
    features = {f.slug: f for f in Feature.objects.all()}
    next_summer = date(today.year if today.month < 7 else today.year + 1, 7, 14)
    filled = 0
    for site in Site.objects.filter(opening_hours="").exclude(kind="service"):
        site.opening_hours = demo_hours(site, site.source_code in sunday_codes)
        site.has_demo_values = True
        site.save(update_fields=["opening_hours", "has_demo_values", "updated_at"])
        site.features.add(*(features[s] for s in demo_features(site) if s in features))
        if (site.seats or 0) >= 100:
            OpeningException.objects.get_or_create(
                site=site,
                label="Horaires d'été (démonstration)",
                defaults={
                    "start_date": next_summer,
                    "end_date": next_summer + timedelta(days=45),
                    "opening_hours": "Tu-Sa 10:00-13:00",
                },
            )
        elif _stable_choice(site.slug + "inventory", 15):
            start = today + timedelta(
                days=7 + (hashlib.sha256(site.slug.encode()).digest()[1] % 14)
            )
            OpeningException.objects.get_or_create(
                site=site,
                label="Fermeture pour inventaire (démonstration)",
                defaults={"start_date": start, "end_date": start + timedelta(days=3)},
            )
        filled += 1
    return filled


@transaction.atomic
def load_demo_network(today: date) -> dict:
    """Idempotent: a second run updates the same rows and adds nothing."""
    from editorial.services import ensure_library_page
    from network.models import Library

    communes = load_communes()
    result = import_sites((DEMO_DIR / "bibliotheques.csv").read_bytes())
    filled = fill_demo_values(today)
    for library in Library.objects.all():
        ensure_library_page(library)
    return {
        "communes": communes,
        "sites_created": result.created,
        "sites_updated": result.updated,
        "demo_values": filled,
        "warnings": result.warnings,
    }
