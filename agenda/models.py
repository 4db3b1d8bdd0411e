"""Events of the network's libraries, their dates (occurrences) and registrations.

An :class:`Event` is what an editor writes once: what, where, for whom, and when (a
first date, an RFC 5545 recurrence rule, extra dates, excluded dates). Its
:class:`Occurrence` rows are the dates that rule gives, materialised by
``agenda.services.sync_occurrences``: each has its own places, its own registrations,
and can be cancelled or moved alone. ``Occurrence.original_start`` is the date the rule
gave (iCalendar's RECURRENCE-ID), so a moved occurrence keeps its identity when the
rule is expanded again.
"""

import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.text import slugify
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.fields import RichTextField
from wagtail.models import Orderable

TZ = ZoneInfo("Europe/Paris")


class Audience(models.TextChoices):
    EVERYONE = "tout_public", "Tout public"
    YOUTH = "jeunesse", "Jeunesse"
    ADULTS = "adultes", "Adultes"
    PROFESSIONALS = "professionnels", "Professionnels"


class Category(models.TextChoices):
    STORY_TIME = "conte", "Conte, lecture"
    WORKSHOP = "atelier", "Atelier"
    DIGITAL = "numerique", "Numérique"
    EXHIBITION = "exposition", "Exposition"
    MEETING = "rencontre", "Rencontre, conférence"
    SHOW = "spectacle", "Spectacle"
    CONCERT = "concert", "Concert, musique"
    SCREENING = "projection", "Projection"
    GAMES = "jeux", "Jeux"
    BOOK_CLUB = "club_lecture", "Club lecture"
    VISIT = "visite", "Visite"
    TRAINING = "formation", "Formation"
    OTHER = "autre", "Autre"


class NetworkOperation(models.Model):
    """A network-wide operation events take part in (Nuit de la lecture, Partir en livre…)."""

    name = models.CharField("nom", max_length=120, unique=True)
    slug = models.SlugField("identifiant d'URL", max_length=120, unique=True)
    description = models.TextField("description", blank=True)

    class Meta:
        verbose_name = "opération du réseau"
        verbose_name_plural = "opérations du réseau"
        ordering = ["name"]

    def __str__(self):
        return self.name


class SchoolHoliday(models.Model):
    """A school holiday period of a zone (Lyon is in zone A), end date included.

    Loaded from the ``vacances-scolaires-france`` package by ``load_school_holidays`` and
    editable by the network (a bridge day decided locally)."""

    zone = models.CharField("zone", max_length=1, default="A")
    name = models.CharField("nom", max_length=100)
    start_date = models.DateField("du")
    end_date = models.DateField("au (inclus)")

    class Meta:
        verbose_name = "vacances scolaires"
        verbose_name_plural = "vacances scolaires"
        ordering = ["start_date"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "start_date"], name="school_holiday_unique"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="school_holiday_dates"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.start_date:%d/%m/%Y} – {self.end_date:%d/%m/%Y})"


class Event(ClusterableModel):
    library = models.ForeignKey(
        "network.Library",
        verbose_name="bibliothèque",
        on_delete=models.CASCADE,
        related_name="events",
    )
    title = models.CharField("titre", max_length=200)
    slug = models.SlugField("identifiant d'URL", max_length=200, blank=True, editable=False)
    summary = models.CharField(
        "résumé",
        max_length=300,
        blank=True,
        help_text="Une ou deux phrases, reprises dans les listes et les flux.",
    )
    description = RichTextField(
        "description", blank=True, features=["bold", "italic", "link", "ul", "ol"]
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name="image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    image_alt = models.CharField(
        "texte alternatif de l'image",
        max_length=250,
        blank=True,
        help_text="Ce que montre l'image, pour les personnes qui ne la voient pas.",
    )
    # Where: one of the library's sites, or a place outside (a park, a school, a theatre).
    site = models.ForeignKey(
        "network.Site",
        verbose_name="lieu du réseau",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    place_name = models.CharField("autre lieu : nom", max_length=200, blank=True)
    place_address = models.CharField("autre lieu : adresse", max_length=250, blank=True)
    place_commune = models.ForeignKey(
        "network.Commune",
        verbose_name="autre lieu : commune",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The commune the event takes place in, from the site or the outside place: what the
    # agenda's commune filter reads.
    commune = models.ForeignKey(
        "network.Commune",
        null=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    audience = models.CharField(
        "public", max_length=20, choices=Audience.choices, default=Audience.EVERYONE
    )
    age_min = models.PositiveSmallIntegerField("à partir de (ans)", null=True, blank=True)
    age_max = models.PositiveSmallIntegerField("jusqu'à (ans)", null=True, blank=True)
    category = models.CharField("catégorie", max_length=20, choices=Category.choices)
    operations = models.ManyToManyField(
        NetworkOperation, verbose_name="opérations du réseau", blank=True, related_name="events"
    )
    is_free = models.BooleanField("gratuit", default=True)
    price = models.CharField(
        "tarif", max_length=200, blank=True, help_text="Si payant : « 5 €, 3 € tarif réduit »."
    )
    sign_language = models.BooleanField("traduit en langue des signes (LSF)", default=False)
    audio_description = models.BooleanField("audiodescription", default=False)
    step_free = models.BooleanField("accessible en fauteuil roulant", default=False)
    accessibility_notes = models.CharField(
        "autres informations d'accessibilité", max_length=300, blank=True
    )
    organiser = models.CharField("organisateur", max_length=200, blank=True)
    partners = models.CharField("partenaires", max_length=300, blank=True)

    # When: the first date, then the RFC 5545 rule that repeats it.
    starts_at = models.DateTimeField("début")
    ends_at = models.DateTimeField("fin")
    rrule = models.CharField(
        "règle de répétition (iCalendar RRULE)",
        max_length=500,
        blank=True,
        help_text="Par exemple « FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630T215959Z ».",
    )
    excluded_dates = models.JSONField("dates exclues", default=list, blank=True)
    skip_school_holidays = models.BooleanField(
        "sauf pendant les vacances scolaires (zone A)", default=False
    )
    cancelled = models.BooleanField(
        "série annulée",
        default=False,
        help_text="Toutes les dates sont annulées ; les inscrits sont prévenus par e-mail.",
    )
    published = models.BooleanField(
        "publié", default=True, help_text="Décoché : l'événement n'apparaît pas dans l'agenda."
    )

    # Registration
    registration_required = models.BooleanField("sur inscription", default=False)
    capacity = models.PositiveIntegerField("places par date", null=True, blank=True)
    max_places_per_registration = models.PositiveSmallIntegerField(
        "places au plus par inscription",
        default=1,
        help_text="Un parent avec trois enfants réserve 4 places si vous l'autorisez.",
    )

    # Imported from a library's iCalendar feed: the feed owns the event.
    source_connector = models.ForeignKey(
        "connectors.Connector",
        verbose_name="importé par",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    source_uid = models.CharField("UID iCalendar", max_length=255, blank=True, editable=False)

    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "événement"
        verbose_name_plural = "événements"
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_connector", "source_uid"],
                condition=~Q(source_uid=""),
                name="event_unique_source_uid",
            ),
            models.CheckConstraint(condition=Q(ends_at__gte=F("starts_at")), name="event_dates"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.slug = slugify(self.title)[:200] or "evenement"
        self.commune_id = self.site.commune_id if self.site_id else self.place_commune_id
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "slug", "commune"}
        super().save(*args, **kwargs)

    @property
    def place_label(self) -> str:
        if self.site_id:
            return self.site.name
        return self.place_name

    @property
    def age_label(self) -> str:
        if self.age_min is not None and self.age_max is not None:
            return f"de {self.age_min} à {self.age_max} ans"
        if self.age_min is not None:
            return f"à partir de {self.age_min} ans"
        if self.age_max is not None:
            return f"jusqu'à {self.age_max} ans"
        return ""

    @property
    def accessibility_labels(self) -> list[str]:
        labels = []
        if self.sign_language:
            labels.append("Langue des signes (LSF)")
        if self.audio_description:
            labels.append("Audiodescription")
        if self.step_free:
            labels.append("Accessible en fauteuil roulant")
        return labels


class EventDate(Orderable):
    """Another date of the same event ("plusieurs dates"), outside any rule."""

    event = ParentalKey(Event, on_delete=models.CASCADE, related_name="extra_dates")
    starts_at = models.DateTimeField("début")
    ends_at = models.DateTimeField("fin")

    class Meta(Orderable.Meta):
        verbose_name = "autre date"
        verbose_name_plural = "autres dates"


class Occurrence(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "prevue", "Prévue"
        MOVED = "deplacee", "Déplacée"
        CANCELLED = "annulee", "Annulée"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="occurrences")
    original_start = models.DateTimeField("date prévue par la règle", editable=False)
    starts_at = models.DateTimeField("début")
    ends_at = models.DateTimeField("fin")
    status = models.CharField(
        "état", max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    note = models.CharField(
        "message au public",
        max_length=300,
        blank=True,
        help_text="Par exemple « Annulée pour raison de santé de l'intervenante ».",
    )
    # Places of this date; set from the event unless staff changed it for this date only.
    capacity = models.PositiveIntegerField("places", null=True, blank=True)
    capacity_is_custom = models.BooleanField(default=False, editable=False)
    # Maintained by the registration services under a row lock; the check constraint is
    # the last guard against overbooking whatever code writes here.
    confirmed_places = models.PositiveIntegerField("places réservées", default=0, editable=False)

    class Meta:
        verbose_name = "date"
        verbose_name_plural = "dates"
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "original_start"], name="occurrence_unique_original_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(confirmed_places__lte=F("capacity")),
                name="occurrence_not_overbooked",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")), name="occurrence_dates"
            ),
        ]
        indexes = [models.Index(fields=["starts_at"], name="occurrence_starts_at")]

    def __str__(self):
        return f"{self.event.title} — {self.starts_at.astimezone(TZ):%d/%m/%Y %H:%M}"

    def get_absolute_url(self):
        return reverse("agenda:occurrence", args=[self.pk, self.event.slug])

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def places_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.confirmed_places, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.confirmed_places >= self.capacity


class Registration(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmee", "Confirmée"
        WAITING = "attente", "Liste d'attente"
        CANCELLED = "annulee", "Annulée"

    class Channel(models.TextChoices):
        ONLINE = "en_ligne", "En ligne"
        DESK = "accueil", "À l'accueil"
        PHONE = "telephone", "Par téléphone"

    occurrence = models.ForeignKey(
        Occurrence, on_delete=models.CASCADE, related_name="registrations"
    )
    # What the e-mailed link carries (signed): never the row id, which can be guessed.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("nom", max_length=150)
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    places = models.PositiveSmallIntegerField("places", default=1)
    status = models.CharField("état", max_length=10, choices=Status.choices)
    channel = models.CharField(
        "inscription", max_length=10, choices=Channel.choices, default=Channel.ONLINE
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_registrations",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="inscrit par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    attended = models.BooleanField("présent", null=True, blank=True)
    created_at = models.DateTimeField("inscrit le", auto_now_add=True)
    promoted_at = models.DateTimeField("sorti de la liste d'attente le", null=True, blank=True)
    cancelled_at = models.DateTimeField("annulée le", null=True, blank=True)
    erased_at = models.DateTimeField("données effacées le", null=True, blank=True)

    class Meta:
        verbose_name = "inscription"
        verbose_name_plural = "inscriptions"
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(places__gte=1), name="registration_places"),
        ]
        indexes = [
            models.Index(fields=["occurrence", "status"], name="registration_occurrence"),
        ]

    def __str__(self):
        return f"{self.name or 'Inscription effacée'} ({self.places})"
