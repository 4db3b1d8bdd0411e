"""Connectors to the libraries' systems, their harvest runs, and the raw records received."""

import re

from django.conf import settings
from django.contrib.auth.hashers import check_password, is_password_usable, make_password
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from connectors import registry
from connectors.base import FORMATS, ConnectorError
from network.models import Library, Site


class Schedule(models.TextChoices):
    MANUAL = "manual", "À la demande seulement"
    HOURLY = "hourly", "Toutes les heures"
    DAILY = "daily", "Chaque nuit"
    WEEKLY = "weekly", "Chaque semaine"


class Connector(models.Model):
    library = models.ForeignKey(
        Library, verbose_name="bibliothèque", on_delete=models.CASCADE, related_name="connectors"
    )
    name = models.CharField("nom", max_length=120, help_text="Par exemple « Koha — catalogue ».")
    driver = models.CharField("type de connecteur", max_length=40)
    settings = models.JSONField("réglages", default=dict, blank=True)
    item_mapping = models.JSONField("lecture des exemplaires", default=dict, blank=True)
    schedule = models.CharField(
        "fréquence", max_length=10, choices=Schedule.choices, default=Schedule.DAILY
    )
    enabled = models.BooleanField("actif", default=True)
    next_since = models.CharField(
        "reprise incrémentale à partir de",
        max_length=40,
        blank=True,
        help_text="Rempli par la dernière moisson réussie ; vide pour une moisson complète.",
    )
    consecutive_failures = models.PositiveSmallIntegerField("échecs consécutifs", default=0)
    card_pattern = models.CharField(
        "numéros de carte reconnus",
        max_length=200,
        blank=True,
        help_text=(
            "Pour la connexion des usagers : expression régulière que les numéros de carte "
            "de la bibliothèque suivent en entier, par exemple « 1000\\d{4} » ou "
            "« (VEN|BRO)\\d{8} ». Vide : la bibliothèque est choisie dans une liste."
        ),
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "connecteur"
        verbose_name_plural = "connecteurs"
        ordering = ["library__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["library", "name"], name="connector_unique_name")
        ]

    def __str__(self):
        return f"{self.name} ({self.library})"

    @property
    def driver_class(self):
        return registry.get_driver(self.driver)

    def driver_label(self) -> str:
        try:
            return self.driver_class.label
        except KeyError:
            return self.driver

    driver_label.short_description = "type"

    def get_driver(self):
        driver = self.driver_class(self.settings)
        driver.connector_id = self.pk
        return driver

    def clean(self):
        # Non-field errors: the back-office form shows driver settings as its own fields.
        try:
            driver = registry.get_driver(self.driver)
        except KeyError:
            raise ValidationError("Type de connecteur inconnu.") from None
        try:
            self.settings = driver.validate_settings(self.settings or {})
        except ConnectorError as error:
            raise ValidationError(error.message) from None
        if self.card_pattern:
            try:
                re.compile(self.card_pattern)
            except re.error:
                raise ValidationError(
                    {"card_pattern": "Cette expression régulière n'est pas valide."}
                ) from None

    def matches_card(self, card_number: str) -> bool:
        """Whether a card number follows this connector's pattern, whole."""
        return bool(self.card_pattern) and re.fullmatch(self.card_pattern, card_number) is not None


class SiteCode(models.Model):
    """A site code as the library's system writes it in its copies, and the network's site."""

    connector = models.ForeignKey(
        Connector, verbose_name="connecteur", on_delete=models.CASCADE, related_name="site_codes"
    )
    code = models.CharField("code dans le système", max_length=40)
    site = models.ForeignKey(
        Site, verbose_name="lieu du réseau", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = "code de lieu"
        verbose_name_plural = "codes de lieu"
        constraints = [
            models.UniqueConstraint(fields=["connector", "code"], name="sitecode_unique_code")
        ]

    def __str__(self):
        return f"{self.code} → {self.site}"

    def clean(self):
        if self.site_id and self.connector_id and self.site.library_id != self.connector.library_id:
            raise ValidationError({"site": "Ce lieu n'appartient pas à la bibliothèque."})


class RunStatus(models.TextChoices):
    QUEUED = "queued", "En attente"
    RUNNING = "running", "En cours"
    COMPLETED = "completed", "Terminée"
    FAILED = "failed", "En échec"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class HarvestRun(models.Model):
    """One harvest of a connector. Counts always satisfy
    read = created + updated + unchanged + deleted + rejected (a database constraint);
    ``missing`` counts records absent from a full harvest, removed from the catalogue."""

    connector = models.ForeignKey(
        Connector, verbose_name="connecteur", on_delete=models.CASCADE, related_name="runs"
    )
    full = models.BooleanField("complète", default=False)
    status = models.CharField(
        "état", max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    source_file = models.CharField("fichier", max_length=500, blank=True)
    removes_missing = models.BooleanField(
        "retire les notices absentes",
        default=True,
        help_text="Pour une source complète : ce qu'elle ne contient plus est retiré.",
    )
    since = models.CharField("depuis", max_length=40, blank=True)
    resume = models.JSONField("point de reprise", default=dict, blank=True)
    next_since = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField("demandée le", auto_now_add=True)
    started_at = models.DateTimeField("commencée le", null=True, blank=True)
    finished_at = models.DateTimeField("terminée le", null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)  # host:pid of the process running it
    resumed = models.PositiveSmallIntegerField("reprises après interruption", default=0)
    read = models.PositiveIntegerField("lues", default=0)
    created = models.PositiveIntegerField("créées", default=0)
    updated = models.PositiveIntegerField("modifiées", default=0)
    unchanged = models.PositiveIntegerField("inchangées", default=0)
    deleted = models.PositiveIntegerField("supprimées", default=0)
    rejected = models.PositiveIntegerField("rejetées", default=0)
    missing = models.PositiveIntegerField("absentes de la source", default=0)
    unknown_site_codes = models.JSONField("codes de lieu inconnus", default=dict, blank=True)
    error = models.TextField("erreur", blank=True)

    class Meta:
        verbose_name = "moisson"
        verbose_name_plural = "moissons"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    read=F("created") + F("updated") + F("unchanged") + F("deleted") + F("rejected")
                ),
                name="harvestrun_counts_add_up",
            ),
            models.UniqueConstraint(
                fields=["connector"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="harvestrun_one_active_per_connector",
            ),
        ]

    def __str__(self):
        return f"{self.connector} — {self.created_at:%d/%m/%Y %H:%M}"

    def summary(self) -> str:
        """``read=N created=N updated=N unchanged=N deleted=N rejected=N``, and
        ``missing=N`` when a complete source dropped records."""
        line = (
            f"read={self.read} created={self.created} updated={self.updated} "
            f"unchanged={self.unchanged} deleted={self.deleted} rejected={self.rejected}"
        )
        return f"{line} missing={self.missing}" if self.missing else line


class SourceRecord(models.Model):
    """A record exactly as the source sent it. Normalisation can be re-run from here.

    A rejected record keeps its bytes and the reason (the back-office's quarantine)."""

    connector = models.ForeignKey(
        Connector,
        verbose_name="connecteur",
        on_delete=models.CASCADE,
        related_name="source_records",
    )
    local_id = models.CharField("identifiant dans la source", max_length=255)
    format = models.CharField("format", max_length=10, choices=[(f, f) for f in FORMATS])
    payload = models.BinaryField("notice brute")
    checksum = models.CharField(max_length=32)
    datestamp = models.CharField("date dans la source", max_length=40, blank=True)
    deleted = models.BooleanField("supprimée dans la source", default=False)
    rejected_reason = models.TextField("motif du rejet", blank=True)
    first_seen_at = models.DateTimeField("reçue le", auto_now_add=True)
    last_seen_at = models.DateTimeField("vue le")
    last_run = models.ForeignKey(
        HarvestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "notice source"
        verbose_name_plural = "notices sources"
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "local_id"], name="sourcerecord_unique_local_id"
            )
        ]
        indexes = [
            models.Index(fields=["connector", "checksum"], name="sourcerecord_checksum"),
            models.Index(
                fields=["connector"],
                condition=~Q(rejected_reason=""),
                name="sourcerecord_quarantine",
            ),
        ]

    def __str__(self):
        return self.local_id

    @property
    def is_rejected(self) -> bool:
        return bool(self.rejected_reason)

    def file_name(self) -> str:
        extension = "mrc" if self.format == "iso2709" else "xml"
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.local_id)[:80]
        return f"{safe or 'notice'}.{extension}"


# ---------------------------------------------------------------- patron lists (patron_file)


class FilePatron(models.Model):
    """A patron of a library without a reachable library system, as its staff's latest
    patron list gives them (``connectors/patron_file/importer.py``), for the ``patron_file``
    driver to check logins against.

    The password is the patron's own, chosen through an e-mailed link; only Django's hash
    of it is kept (``"!…"``, unusable, until they choose one). A patron absent from the
    latest list is made inactive, not deleted: they cannot log in, and a later list that
    names them again brings them back with their password."""

    connector = models.ForeignKey(
        Connector, verbose_name="connecteur", on_delete=models.CASCADE, related_name="file_patrons"
    )
    card_number = models.CharField("numéro de carte", max_length=40)
    first_name = models.CharField("prénom", max_length=150, blank=True)
    last_name = models.CharField("nom", max_length=150, blank=True)
    email = models.EmailField("adresse e-mail", blank=True)
    expires_on = models.DateField("fin d'abonnement", null=True, blank=True)
    password = models.CharField("mot de passe (empreinte)", max_length=128, editable=False)
    password_set_at = models.DateTimeField("mot de passe choisi le", null=True, blank=True)
    active = models.BooleanField(
        "dans la dernière liste",
        default=True,
        help_text="Décoché : absent de la dernière liste importée, ne peut pas se connecter.",
    )
    created_at = models.DateTimeField("importé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    # Personal data, never content other objects refer to: no reference-index task per row.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = "lecteur importé"
        verbose_name_plural = "lecteurs importés"
        ordering = ["connector", "card_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "card_number"], name="filepatron_unique_card"
            )
        ]

    def __str__(self):
        return f"{self.connector.library} — •••• {self.card_number[-4:]}"

    def save(self, *args, **kwargs):
        if not self.password:
            self.password = make_password(None)
        super().save(*args, **kwargs)

    def has_password(self) -> bool:
        return bool(self.password) and is_password_usable(self.password)

    def set_password(self, raw_password: str) -> None:
        self.password = make_password(raw_password)
        self.password_set_at = timezone.now()

    def check_password(self, raw_password: str) -> bool:
        """Whether ``raw_password`` is the patron's; a hash made with an older hasher is
        upgraded on the way, as Django does for users."""

        def upgrade(raw):
            self.password = make_password(raw)
            self.save(update_fields=["password"])

        return check_password(raw_password, self.password, upgrade)


class PatronImport(models.Model):
    """One patron list imported into a ``patron_file`` connector: who, when, which file,
    what it did, and each rejected row with its line and its reason (French)."""

    connector = models.ForeignKey(
        Connector,
        verbose_name="connecteur",
        on_delete=models.CASCADE,
        related_name="patron_imports",
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="importé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("importé le", auto_now_add=True)
    file_name = models.CharField("fichier", max_length=255, blank=True)
    encoding = models.CharField("codage", max_length=20, blank=True)
    read = models.PositiveIntegerField("lignes lues", default=0)
    created = models.PositiveIntegerField("ajoutés", default=0)
    updated = models.PositiveIntegerField("modifiés", default=0)
    unchanged = models.PositiveIntegerField("inchangés", default=0)
    rejected = models.PositiveIntegerField("lignes rejetées", default=0)
    reactivated = models.PositiveIntegerField("de retour dans la liste", default=0)
    deactivated = models.PositiveIntegerField("absents de la liste (désactivés)", default=0)
    rejected_rows = models.JSONField(
        "lignes rejetées (détail)",
        default=list,
        blank=True,
        help_text="[{« ligne » : n, « carte » : numéro lu, « motif » : pourquoi}]",
    )

    class Meta:
        verbose_name = "import de lecteurs"
        verbose_name_plural = "imports de lecteurs"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(read=F("created") + F("updated") + F("unchanged") + F("rejected")),
                name="patronimport_counts_add_up",
            ),
        ]

    def __str__(self):
        return f"{self.connector} — {self.created_at:%d/%m/%Y %H:%M}"

    def summary(self) -> str:
        return (
            f"read={self.read} created={self.created} updated={self.updated} "
            f"unchanged={self.unchanged} rejected={self.rejected} "
            f"reactivated={self.reactivated} deactivated={self.deactivated}"
        )
