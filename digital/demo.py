"""Demo digital resources for `make run`: real services libraries subscribe to or point
to (names, vendors and public addresses as the services publish them); which communes
subscribe is invented for the demo. Idempotent: resources are found by slug.

Three more are demo vendors served by ``manage.py sso_demo_vendor`` (``make run`` starts it
at SSO_DEMO_VENDOR_URL), so single sign-on can be tried end to end: one through CAS, one
through OpenID Connect with a client whose identifier and secret are fixed here, one by a
signed link with a fixed key."""

from django.conf import settings

from digital import oidc
from digital.models import AccessMethod, Resource
from network.models import Commune, Library

DEMO_OIDC_CLIENT_ID = "demo-cours-en-ligne"
DEMO_OIDC_CLIENT_SECRET = "demo-secret-not-for-production"  # noqa: S105 (demo data)
DEMO_SIGNING_KEY = "demo-signed-link-key-not-for-production"


# Free resources a library proposed (digital.permissions): the Bibliothèque municipale de
# Lyon's webzine, published by the network, and its news site, still awaiting validation.
LIBRARY_PROPOSALS = [
    {"slug": "l-influx", "name": "L'Influx", "vendor": "Bibliothèque municipale de Lyon",
     "kind": "ressources_libres", "is_free": True, "published": True,
     "summary": "Le webzine des bibliothécaires de Lyon : critiques, dossiers, musique, "
     "cinéma et rencontres.",
     "url": "https://www.linflux.com/"},
    {"slug": "points-d-actu", "name": "Points d'actu", "vendor": "Bibliothèque municipale de Lyon",
     "kind": "ressources_libres", "is_free": True, "published": False,
     "summary": "Des dossiers pour comprendre l'actualité, écrits par des bibliothécaires.",
     "url": "https://www.pointsdactu.org/"},
]  # fmt: skip


def sso_demo_resources() -> list[dict]:
    vendor = settings.SSO_DEMO_VENDOR_URL.rstrip("/")
    return [
        {"slug": "kiosque-demonstration", "name": "Le Kiosque (démonstration CAS)",
         "vendor": "Fournisseur de démonstration", "kind": "presse",
         "summary": "Un kiosque de presse de démonstration, ouvert par l'authentification "
         "unique CAS : vous y arrivez déjà identifié, sous un pseudonyme.",
         "url": f"{vendor}/kiosque/", "access_method": AccessMethod.CAS,
         "vendor_urls": f"{vendor}/kiosque/", "shared_attributes": ["age_band"],
         "guide": "<p>Cliquez sur « Accéder » : le kiosque demande à Métrobib qui vous êtes "
         "et ne reçoit qu'un identifiant pseudonyme et votre tranche d'âge.</p>"},
        {"slug": "cours-en-ligne-demonstration",
         "name": "Cours en ligne (démonstration OpenID Connect)",
         "vendor": "Fournisseur de démonstration OIDC", "kind": "autoformation",
         "summary": "Des cours de démonstration, ouverts par OpenID Connect, pour les "
         "habitants de Villeurbanne et de Bron.",
         "url": f"{vendor}/apprendre/", "access_method": AccessMethod.OIDC,
         "vendor_urls": f"{vendor}/apprendre/callback", "communes": ["69266", "69029"],
         "whole_network": False},
        {"slug": "jeux-demonstration", "name": "Jeux et quiz (démonstration lien signé)",
         "vendor": "Fournisseur de démonstration", "kind": "jeunesse", "audience": "jeunesse",
         "age_min": 6, "age_max": 12,
         "summary": "Des jeux de démonstration, ouverts par un lien signé que le fournisseur "
         "vérifie avec une clé partagée.",
         "url": f"{vendor}/jeux/", "access_method": AccessMethod.SIGNED_LINK,
         "signing_key": DEMO_SIGNING_KEY},
    ]  # fmt: skip


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
    specs = [*RESOURCES, *sso_demo_resources()]
    for spec in specs:
        spec = dict(spec)
        communes = spec.pop("communes", [])
        resource, _ = Resource.objects.update_or_create(slug=spec["slug"], defaults=spec)
        resource.communes.set(Commune.objects.filter(insee_code__in=communes))
        if resource.access_method == AccessMethod.OIDC:
            oidc.ensure_client(
                resource, client_id=DEMO_OIDC_CLIENT_ID, secret=DEMO_OIDC_CLIENT_SECRET
            )
    lyon = Library.objects.filter(communes__insee_code="69123").first()
    if lyon is not None:
        for spec in LIBRARY_PROPOSALS:
            Resource.objects.update_or_create(
                slug=spec["slug"], defaults={**spec, "proposed_by": lyon}
            )
            specs.append(spec)
    return Resource.objects.filter(slug__in=[s["slug"] for s in specs]).count()
