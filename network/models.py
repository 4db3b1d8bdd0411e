from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from metrobib.reversal import reversed_once
from network import hours


class Commune(models.Model):
    insee_code = models.CharField(
        "code INSEE",
        max_length=5,
        unique=True,
        validators=[RegexValidator(r"^\d[\dAB]\d{3}$", "Un code INSEE a cinq caractères.")],
    )
    name = models.CharField("nom", max_length=100)
    population = models.PositiveIntegerField("population municipale", null=True, blank=True)
    former_codes = models.CharField(
        "anciens codes INSEE",
        max_length=100,
        blank=True,
        help_text=(
            "Codes de communes fusionnées (ex. 69152 pour Pierre-Bénite), séparés par des virgules."
        ),
    )
    former_names = models.CharField(
        "anciens noms",
        max_length=200,
        blank=True,
        help_text="Noms de communes fusionnées (ex. Pierre-Bénite), séparés par des virgules.",
    )
    boundary = models.JSONField("contour (GeoJSON)", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "commune"
        verbose_name_plural = "communes"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def former_code_list(self) -> list[str]:
        return [code.strip() for code in self.former_codes.split(",") if code.strip()]

    def former_name_list(self) -> list[str]:
        return [name.strip() for name in self.former_names.split(",") if name.strip()]


class LibrarySystem(models.TextChoices):
    KOHA = "koha", "Koha"
    PMB = "pmb", "PMB"
    ORPHEE = "orphee", "Orphée"
    SYRACUSE = "syracuse", "Syracuse"
    ALOES = "aloes", "Aloès"
    DECALOG = "decalog", "Decalog"
    BOKEH = "bokeh", "Bokeh"
    NANOOK = "nanook", "Nanook"
    WATERBEAR = "waterbear", "Waterbear"
    OTHER = "other", "Autre"
    NONE = "none", "Aucun système informatisé"
    UNKNOWN = "unknown", "Non renseigné"


class Library(models.Model):
    """A library as an institution: usually a town's library service, with one or more sites."""

    name = models.CharField("nom", max_length=200)
    slug = models.SlugField("identifiant d'URL", max_length=200, unique=True)
    communes = models.ManyToManyField(
        Commune, verbose_name="communes desservies", related_name="libraries", blank=True
    )
    library_system = models.CharField(
        "système de gestion (SIGB)",
        max_length=20,
        choices=LibrarySystem.choices,
        default=LibrarySystem.UNKNOWN,
    )
    website = models.URLField("site web", blank=True)
    email = models.EmailField("e-mail de contact", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)

    class Meta:
        verbose_name = "bibliothèque"
        verbose_name_plural = "bibliothèques"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Feature(models.Model):
    """A service offered on site (Wi-Fi…) or an accessibility feature (step-free access…)."""

    class Kind(models.TextChoices):
        SERVICE = "service", "Service"
        ACCESSIBILITY = "accessibility", "Accessibilité"

    slug = models.SlugField(unique=True)
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    name = models.CharField("libellé", max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "service ou équipement"
        verbose_name_plural = "services et équipements"
        ordering = ["kind", "position", "name"]

    def __str__(self):
        return self.name


def validate_opening_hours(value: str) -> None:
    problem = hours.syntax_problem(value)
    if problem:
        raise ValidationError(problem)


class Site(models.Model):
    """A building (or a bibliobus stop) where the public meets a library."""

    library = models.ForeignKey(
        Library, verbose_name="bibliothèque", on_delete=models.PROTECT, related_name="sites"
    )
    source_code = models.CharField(
        "code de l'Observatoire de la lecture publique",
        max_length=20,
        unique=True,
        null=True,
        blank=True,
        help_text="Clé stable des imports (ex. LI3037).",
    )
    name = models.CharField("nom", max_length=200)
    slug = models.SlugField("identifiant d'URL", max_length=200, unique=True)
    kind = models.CharField(
        "type",
        max_length=40,
        default="building",
        choices=[
            ("building", "Bâtiment ouvert au public"),
            ("mobile", "Bibliobus"),
            ("service", "Service sans accueil du public"),
        ],
    )
    address = models.CharField("adresse", max_length=250, blank=True)
    postcode = models.CharField(
        "code postal",
        max_length=5,
        blank=True,
        validators=[RegexValidator(r"^\d{5}$", "Un code postal a cinq chiffres.")],
    )
    commune = models.ForeignKey(
        Commune, verbose_name="commune", on_delete=models.PROTECT, related_name="sites"
    )
    latitude = models.DecimalField(
        "latitude",
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        "longitude",
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    phone = models.CharField("téléphone", max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)
    website = models.URLField("site web", blank=True)
    seats = models.PositiveIntegerField("places assises", null=True, blank=True)
    features = models.ManyToManyField(
        Feature, verbose_name="services et accessibilité", related_name="sites", blank=True
    )
    access_notes = models.TextField(
        "comment venir",
        blank=True,
        help_text="Transports en commun, stationnement, vélo…",
    )
    opening_hours = models.CharField(
        "horaires habituels",
        max_length=500,
        blank=True,
        validators=[validate_opening_hours],
        help_text=(
            "Syntaxe OpenStreetMap, ex. « Tu,Th 14:00-18:00; We,Sa 10:00-12:30,14:00-18:00 ». "
            "Les jours fériés sont fermés sauf mention « PH »."
        ),
    )
    photo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="photo",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    photo_alt = models.CharField(
        "texte alternatif de la photo",
        max_length=250,
        blank=True,
        help_text="Ce que montre la photo, pour les personnes qui ne la voient pas.",
    )
    has_demo_values = models.BooleanField(
        "valeurs de démonstration",
        default=False,
        help_text=(
            "Cochée : horaires et services sont des valeurs de démonstration, "
            "à remplacer par la bibliothèque."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "site"
        verbose_name_plural = "sites"
        ordering = ["commune__name", "name"]
        constraints = [
            models.CheckConstraint(
                name="site_coordinates_together",
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                violation_error_message="Latitude et longitude vont ensemble.",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reversed_once("network:site", self.slug)

    def clean(self):
        if self.photo_id and not self.photo_alt.strip():
            raise ValidationError({"photo_alt": "Décrivez la photo (texte alternatif)."})

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class OpeningException(models.Model):
    """Dated hours that replace a site's usual hours: a closure or a summer schedule."""

    site = models.ForeignKey(
        Site, verbose_name="site", on_delete=models.CASCADE, related_name="exceptions"
    )
    label = models.CharField(
        "motif", max_length=120, help_text="Ex. « Horaires d'été », « Inventaire »."
    )
    start_date = models.DateField("du")
    end_date = models.DateField("au (inclus)")
    opening_hours = models.CharField(
        "horaires pendant la période",
        max_length=500,
        blank=True,
        validators=[validate_opening_hours],
        help_text="Vide : fermé pendant toute la période.",
    )

    class Meta:
        verbose_name = "horaires exceptionnels"
        verbose_name_plural = "horaires exceptionnels"
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                name="exception_dates_in_order",
                condition=Q(end_date__gte=models.F("start_date")),
                violation_error_message="La fin de la période précède son début.",
            )
        ]

    def __str__(self):
        return f"{self.label} ({self.start_date:%d/%m/%Y} – {self.end_date:%d/%m/%Y})"

    @property
    def is_closure(self) -> bool:
        return not self.opening_hours.strip()
