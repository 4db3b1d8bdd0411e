"""The digital library's resources, who offers them, and every access recorded.

A :class:`Resource` is a vendor's service (press, ebooks, self-training…) or a free one
(Gallica, a library's podcast). Who may use it is decided by ``digital.access.decide``
from the resource's offer (the whole network, or the communes and libraries that
subscribe) and the patron's card. Each access through the portal writes a
:class:`UsageEvent` that names no one (``digital.usage``).
"""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from wagtail.fields import RichTextField


class Kind(models.TextChoices):
    PRESS = "presse", "Presse"
    EBOOKS = "livres_numeriques", "Livres numériques"
    TRAINING = "autoformation", "Autoformation"
    CINEMA = "cinema", "Cinéma"
    MUSIC = "musique", "Musique"
    COMICS = "bd", "Bandes dessinées"
    YOUTH = "jeunesse", "Jeunesse"
    ENCYCLOPAEDIA = "encyclopedies", "Encyclopédies"
    HERITAGE = "patrimoine", "Patrimoine"
    FREE = "ressources_libres", "Ressources libres"


class Audience(models.TextChoices):
    EVERYONE = "tout_public", "Tout public"
    YOUTH = "jeunesse", "Jeunesse"
    ADULTS = "adultes", "Adultes"


class AccessMethod(models.TextChoices):
    OPEN_LINK = "lien", "Lien direct"
    SIGNED_LINK = "lien_signe", "Lien signé (jeton HMAC)"
    CAS = "cas", "CAS 3.0 (authentification unique)"
    OIDC = "oidc", "OpenID Connect (authentification unique)"


# What a vendor may receive beside its pseudonymous identifier, when the resource says so.
class SharedAttribute(models.TextChoices):
    AGE_BAND = "age_band", "Tranche d'âge"
    COMMUNE = "commune", "Commune de résidence (code INSEE)"
    LIBRARY = "library", "Bibliothèque d'inscription"
    CARD_KIND = "card_kind", "Type de carte"
    EMAIL = "email", "Adresse électronique"


class Resource(models.Model):
    name = models.CharField("nom", max_length=150)
    slug = models.SlugField("identifiant d'URL", max_length=150, unique=True)
    vendor = models.CharField("fournisseur", max_length=150, blank=True)
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    summary = models.CharField("résumé", max_length=300)
    guide = RichTextField(
        "mode d'emploi", blank=True, features=["bold", "italic", "link", "ol", "ul", "h3"]
    )
    audience = models.CharField(
        "public", max_length=20, choices=Audience.choices, default=Audience.EVERYONE
    )
    age_min = models.PositiveSmallIntegerField("à partir de (ans)", null=True, blank=True)
    age_max = models.PositiveSmallIntegerField("jusqu'à (ans)", null=True, blank=True)
    languages = models.CharField("langues", max_length=200, blank=True, default="français")
    devices = models.CharField(
        "appareils et applications", max_length=300, blank=True,
        help_text="Par exemple « ordinateur, tablette, application iOS et Android ».",
    )  # fmt: skip
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="logo",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    logo_alt = models.CharField("texte alternatif du logo", max_length=200, blank=True)
    is_free = models.BooleanField(
        "ressource libre",
        default=False,
        help_text="Ouverte à tous, sans carte (Gallica, un podcast de bibliothèque…).",
    )
    access_method = models.CharField(
        "accès", max_length=20, choices=AccessMethod.choices, default=AccessMethod.OPEN_LINK
    )
    url = models.URLField("adresse d'accès", max_length=500)
    signing_key = models.CharField(
        "clé partagée du lien signé",
        max_length=200,
        blank=True,
        help_text="Donnée par le fournisseur ; jamais affichée au public.",
    )
    vendor_urls = models.TextField(
        "adresses de retour du fournisseur",
        blank=True,
        help_text="Une par ligne. CAS : les adresses de service acceptées (une adresse "
        "accepte aussi les chemins qui la prolongent). OpenID Connect : les adresses de "
        "redirection exactes. Tout autre service est refusé.",
    )
    shared_attributes = models.JSONField(
        "données transmises au fournisseur",
        default=list,
        blank=True,
        help_text="Le fournisseur reçoit toujours un identifiant pseudonyme propre à lui ; "
        "cochez seulement ce que le contrat exige en plus.",
    )
    oidc_client = models.OneToOneField(
        "oauth2_provider.Application",
        verbose_name="client OpenID Connect",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="resource",
    )
    simultaneous_limit = models.PositiveIntegerField(
        "accès simultanés au plus", null=True, blank=True
    )
    on_site_only = models.BooleanField(
        "sur place uniquement",
        default=False,
        help_text="Depuis le réseau d'une bibliothèque (tablettes, liseuses, postes publics).",
    )
    whole_network = models.BooleanField(
        "proposée à tout le réseau",
        default=True,
        help_text="Décoché : seulement aux habitants des communes et aux inscrits des "
        "bibliothèques choisies ci-dessous.",
    )
    communes = models.ManyToManyField(
        "network.Commune", verbose_name="communes abonnées", blank=True, related_name="+"
    )
    libraries = models.ManyToManyField(
        "network.Library", verbose_name="bibliothèques abonnées", blank=True, related_name="+"
    )
    published = models.BooleanField("publiée", default=True)
    proposed_by = models.ForeignKey(
        "network.Library",
        verbose_name="proposée par la bibliothèque",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="proposed_resources",
        help_text="Vide : une ressource du réseau. Une bibliothèque propose ses ressources "
        "libres (webzine, podcasts) ; la coordination du réseau les publie.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "ressource numérique"
        verbose_name_plural = "ressources numériques"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("digital:resource", args=[self.slug])

    @property
    def vendor_url_list(self) -> list[str]:
        return [line.strip() for line in self.vendor_urls.splitlines() if line.strip()]


class LibraryNetwork(models.Model):
    """An address range of a library's public network: on-site-only resources open from
    there (tablets, e-readers, public computers)."""

    library = models.ForeignKey(
        "network.Library",
        verbose_name="bibliothèque",
        on_delete=models.CASCADE,
        related_name="networks",
    )
    cidr = models.CharField(
        "plage d'adresses", max_length=50, help_text="Par exemple « 192.0.2.0/24 »."
    )

    class Meta:
        verbose_name = "réseau d'une bibliothèque"
        verbose_name_plural = "réseaux des bibliothèques"
        constraints = [models.UniqueConstraint(fields=["library", "cidr"], name="library_cidr")]

    def __str__(self):
        return f"{self.library} — {self.cidr}"


class UsageEvent(models.Model):
    """One access to a resource through the portal, pseudonymised: who it was is a keyed
    hash that changes each year (distinct users can be counted within a year, no one can
    be named); what is kept of them is what governance reads (home library, commune, age
    band, card kind). No name, no card number, no address."""

    class CardKind(models.TextChoices):
        LIBRARY = "bibliotheque", "Carte de bibliothèque"
        METROPOLITAN = "metropolitaine", "Carte métropolitaine"
        NONE = "aucune", "Sans carte"

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="usage")
    at = models.DateTimeField("le", db_index=True)
    patron_hash = models.CharField("usager (pseudonyme de l'année)", max_length=64, blank=True)
    home_library = models.ForeignKey(
        "network.Library", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    commune = models.ForeignKey(
        "network.Commune", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    age_band = models.CharField("tranche d'âge", max_length=5, blank=True)
    card_kind = models.CharField("carte", max_length=15, choices=CardKind.choices)
    on_site = models.BooleanField("depuis une bibliothèque", default=False)

    class Meta:
        verbose_name = "accès à une ressource"
        verbose_name_plural = "accès aux ressources"
        indexes = [models.Index(fields=["resource", "at"], name="usage_resource_at")]
        constraints = [
            # A patron's access always carries their pseudonym; an anonymous one none.
            models.CheckConstraint(
                condition=Q(card_kind="aucune", patron_hash="")
                | (~Q(card_kind="aucune") & ~Q(patron_hash="")),
                name="usage_patron_hashed",
            )
        ]

    def __str__(self):
        return f"{self.resource} — {self.at:%d/%m/%Y %H:%M}"


class CasTicket(models.Model):
    """A CAS service ticket: issued at ``/cas/login`` for one patron, one resource and the
    exact service address, valid once and for a few minutes (CAS 3.0 §3.1). Validation
    consumes it under a row lock, so a ticket replayed concurrently validates once."""

    ticket = models.CharField(max_length=80, unique=True)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    service = models.TextField()
    created_at = models.DateTimeField(db_index=True)
    from_new_login = models.BooleanField(default=False)
    authenticated_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = "ticket CAS"
        verbose_name_plural = "tickets CAS"

    def __str__(self):
        return self.ticket[:10]
