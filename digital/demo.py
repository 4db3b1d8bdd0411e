"""Demo digital resources for `make run`: real services libraries subscribe to or point
to (names, vendors and public addresses as the services publish them); which communes
subscribe is invented for the demo. Idempotent: resources are found by slug."""

from digital.models import AccessMethod, Resource
from network.models import Commune

RESOURCES = [
    {"slug": "europresse", "name": "Europresse", "vendor": "Cision", "kind": "presse",
     "summary": "Plus de 10 000 journaux et magazines français et internationaux, le jour "
     "de leur parution, et leurs archives.",
     "url": "https://nouveau.europresse.com/", "devices": "ordinateur, tablette, téléphone",
     "guide": "<p>Cliquez sur « Accéder » : vous arrivez sur Europresse déjà identifié. "
     "Cherchez un titre, un sujet, ou feuilletez l'édition du jour en PDF.</p>"},
    {"slug": "tout-apprendre", "name": "Tout apprendre", "vendor": "Tout apprendre",
     "kind": "autoformation",
     "summary": "Cours en ligne : langues, bureautique, code de la route, soutien scolaire, "
     "musique, bien-être.",
     "url": "https://www.toutapprendre.com/", "access_method": AccessMethod.SIGNED_LINK,
     "signing_key": "demo-cle-partagee-tout-apprendre", "communes": ["69266", "69029"],
     "whole_network": False,
     "guide": "<p>Réservé aux habitants de Villeurbanne et de Bron pendant la "
     "démonstration.</p>"},
    {"slug": "la-mediatheque-numerique", "name": "La Médiathèque numérique",
     "vendor": "ARTE et UniversCiné", "kind": "cinema",
     "summary": "Films, documentaires et séries en vidéo à la demande.",
     "url": "https://vod.mediatheque-numerique.com/", "simultaneous_limit": 200,
     "audience": "tout_public"},
    {"slug": "philharmonie-a-la-demande", "name": "Philharmonie à la demande",
     "vendor": "Philharmonie de Paris", "kind": "musique",
     "summary": "Concerts filmés, documentaires et guides d'écoute de la Philharmonie.",
     "url": "https://pad.philharmoniedeparis.fr/"},
    {"slug": "gallica", "name": "Gallica", "vendor": "Bibliothèque nationale de France",
     "kind": "patrimoine", "is_free": True,
     "summary": "Des millions de livres, journaux, cartes et images numérisés par la BnF.",
     "url": "https://gallica.bnf.fr/"},
    {"slug": "numelyo", "name": "Numelyo", "vendor": "Bibliothèque municipale de Lyon",
     "kind": "patrimoine", "is_free": True,
     "summary": "La bibliothèque numérique patrimoniale de Lyon : manuscrits, estampes, "
     "photographies, affiches.",
     "url": "https://numelyo.bm-lyon.fr/"},
    {"slug": "ziklibrenbib", "name": "Ziklibrenbib", "vendor": "Ziklibrenbib",
     "kind": "ressources_libres", "is_free": True,
     "summary": "De la musique en libre diffusion choisie par des discothécaires.",
     "url": "https://www.ziklibrenbib.fr/"},
    {"slug": "liseuses", "name": "Liseuses et tablettes", "vendor": "Bibliothèques du réseau",
     "kind": "livres_numeriques", "on_site_only": True,
     "summary": "Des liseuses chargées de romans et des tablettes à consulter sur place.",
     "url": "https://www.ebooksgratuits.com/"},
]  # fmt: skip


def load_demo_resources() -> int:
    """Create or update the demo resources; returns how many exist."""
    for spec in RESOURCES:
        spec = dict(spec)
        communes = spec.pop("communes", [])
        resource, _ = Resource.objects.update_or_create(slug=spec["slug"], defaults=spec)
        resource.communes.set(Commune.objects.filter(insee_code__in=communes))
    return Resource.objects.filter(slug__in=[s["slug"] for s in RESOURCES]).count()
