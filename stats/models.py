"""What governance reads: the libraries' active members per year (entered or imported by
staff) beside the usage the portal records (``digital.UsageEvent``) and the vendors
report (COUNTER)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q


class ActiveMembers(models.Model):
    """How many active members (at least one loan or visit in the year, as the library's
    own system counts them) a library had in a year: the denominator of "the share of
    members who used the digital library"."""

    library = models.ForeignKey(
        "network.Library",
        verbose_name="bibliothèque",
        on_delete=models.CASCADE,
        related_name="active_members",
    )
    year = models.PositiveSmallIntegerField("année", validators=[MinValueValidator(2000)])
    count = models.PositiveIntegerField("inscrits actifs")
    updated_at = models.DateTimeField("mis à jour le", auto_now=True)

    class Meta:
        verbose_name = "inscrits actifs"
        verbose_name_plural = "inscrits actifs"
        ordering = ["-year", "library__name"]
        constraints = [
            models.UniqueConstraint(fields=["library", "year"], name="active_members_per_year")
        ]

    def __str__(self):
        return f"{self.library} — {self.year} : {self.count}"


class UsageFigure(models.Model):
    """What the dashboard reads: accesses and distinct users of the digital library for
    one year (``month`` 0) or one month, for the whole network or one resource, home
    library or commune of residence (``None``: not known, e.g. an anonymous access).

    Derived from ``digital.UsageEvent`` by ``stats.aggregation.aggregate_usage`` (nightly,
    idempotent): never edited by hand, rebuilt whenever the job runs again. ``users`` are
    distinct yearly pseudonyms; ``card_users`` those of them who used a library card,
    the numerator of the share of active members."""

    class Dimension(models.TextChoices):
        NETWORK = "network", "Réseau"
        RESOURCE = "resource", "Ressource"
        LIBRARY = "library", "Bibliothèque d'inscription"
        COMMUNE = "commune", "Commune de résidence"

    year = models.PositiveSmallIntegerField("année")
    month = models.PositiveSmallIntegerField("mois", help_text="0 : l'année entière.")
    dimension = models.CharField("par", max_length=10, choices=Dimension.choices)
    resource = models.ForeignKey(
        "digital.Resource", null=True, on_delete=models.CASCADE, related_name="+"
    )
    library = models.ForeignKey(
        "network.Library", null=True, on_delete=models.CASCADE, related_name="+"
    )
    commune = models.ForeignKey(
        "network.Commune", null=True, on_delete=models.CASCADE, related_name="+"
    )
    accesses = models.PositiveIntegerField("accès")
    users = models.PositiveIntegerField("utilisateurs distincts")
    card_users = models.PositiveIntegerField("utilisateurs avec une carte de bibliothèque")
    computed_at = models.DateTimeField("calculé le")

    class Meta:
        verbose_name = "chiffre d'usage"
        verbose_name_plural = "chiffres d'usage"
        indexes = [models.Index(fields=["year", "month", "dimension"], name="usage_figure_period")]

    def __str__(self):
        return f"{self.year}-{self.month:02d} {self.dimension}: {self.accesses}"


# ---------------------------------------------------------------- COUNTER reports (vendors)
# The vendors' own statistics, imported from COUNTER R5/R5.1 files or harvested by SUSHI
# (``stats.counter`` reads them, ``stats.services`` imports, ``stats.sushi`` harvests).


class CounterSource(models.TextChoices):
    UPLOAD = "upload", "Fichier déposé"
    SUSHI = "sushi", "Moisson SUSHI"
    DEMO = "demo", "Démonstration"


class CounterReport(models.Model):
    """One COUNTER report received for a resource: imported (its counts are in
    :class:`CounterCount`), replaced (a later report gave all of its months again) or
    rejected (malformed: nothing was changed, ``error`` says why in French). The raw file
    is kept, so a report can be read again after the reader changes."""

    class Status(models.TextChoices):
        IMPORTED = "imported", "Importé"
        REPLACED = "replaced", "Remplacé par un import plus récent"
        REJECTED = "rejected", "Refusé"

    resource = models.ForeignKey(
        "digital.Resource",
        verbose_name="ressource",
        on_delete=models.PROTECT,
        related_name="counter_reports",
    )
    status = models.CharField("état", max_length=10, choices=Status.choices)
    report_code = models.CharField("rapport", max_length=20, blank=True)
    release = models.CharField("version COUNTER", max_length=5, blank=True)
    platform = models.CharField("plateforme", max_length=200, blank=True)
    report_name = models.CharField("nom du rapport", max_length=200, blank=True)
    begin_month = models.DateField("premier mois", null=True, blank=True)
    end_month = models.DateField("dernier mois", null=True, blank=True)
    source = models.CharField("origine", max_length=10, choices=CounterSource.choices)
    connector = models.ForeignKey(
        "connectors.Connector",
        verbose_name="connecteur SUSHI",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="counter_reports",
    )
    file_name = models.CharField("fichier", max_length=255, blank=True)
    file_format = models.CharField("format", max_length=5, blank=True)
    payload = models.BinaryField("fichier reçu")
    exceptions = models.JSONField("exceptions COUNTER reçues", default=list, blank=True)
    warnings = models.JSONField("avertissements", default=list, blank=True)
    parameters_ignored = models.BooleanField(
        "paramètres ignorés par le fournisseur",
        default=False,
        help_text="Exceptions 3050 à 3071 : les données peuvent ne pas être celles demandées.",
    )
    error = models.TextField("motif du refus", blank=True)
    rows = models.PositiveIntegerField("comptages", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="importé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("reçu le", auto_now_add=True)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = "rapport COUNTER"
        verbose_name_plural = "rapports COUNTER"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["resource", "status"], name="counter_report_resource")]

    def __str__(self):
        what = self.report_code or "?"
        period = f" {self.begin_month:%m/%Y}–{self.end_month:%m/%Y}" if self.begin_month else ""
        return f"{self.resource} — {what}{period} ({self.get_status_display().lower()})"


class CounterCount(models.Model):
    """One monthly count of a vendor's report, in the internal vocabulary of
    ``stats.counter.vocabulary``. (resource, report_code, release, month) is filled by one
    report at a time: importing it again replaces them all."""

    report = models.ForeignKey(
        CounterReport, on_delete=models.CASCADE, related_name="counts", verbose_name="rapport"
    )
    resource = models.ForeignKey(
        "digital.Resource", on_delete=models.CASCADE, related_name="+", verbose_name="ressource"
    )
    report_code = models.CharField("rapport", max_length=20)
    release = models.CharField("version COUNTER", max_length=5)
    month = models.DateField("mois")
    metric_type = models.CharField("mesure (Metric_Type)", max_length=100)
    data_type = models.CharField("type de données (Data_Type)", max_length=40, blank=True)
    access_type = models.CharField("type d'accès (Access_Type)", max_length=40, blank=True)
    access_method = models.CharField("méthode d'accès (Access_Method)", max_length=20, blank=True)
    yop = models.CharField("année de publication (YOP)", max_length=9, blank=True)
    title = models.CharField("titre", max_length=500, blank=True)
    item_id = models.CharField("identifiant", max_length=200, blank=True)
    count = models.BigIntegerField("nombre")

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = "comptage COUNTER"
        verbose_name_plural = "comptages COUNTER"
        indexes = [
            models.Index(
                fields=["resource", "report_code", "release", "month"], name="counter_slot"
            ),
            models.Index(fields=["month", "metric_type"], name="counter_month_metric"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(count__gte=0), name="counter_count_not_negative")
        ]

    def __str__(self):
        return f"{self.report_code} {self.month:%m/%Y} {self.metric_type} = {self.count}"


class SushiSource(models.Model):
    """Which resource a ``sushi`` connector harvests, which reports, from which month; and
    the state of the whole server: credentials refused or settings wrong (``blocked``: no
    request until staff fix them and unblock), or a rate-limit pause (``cool_down_until``).
    """

    class Block(models.TextChoices):
        NONE = "", "—"
        CREDENTIALS = "credentials", "Identifiants refusés"
        CONFIG = "config", "Réglages incomplets ou invalides"

    connector = models.OneToOneField(
        "connectors.Connector",
        verbose_name="connecteur SUSHI",
        on_delete=models.CASCADE,
        related_name="sushi_source",
        limit_choices_to={"driver": "sushi"},
    )
    resource = models.ForeignKey(
        "digital.Resource",
        verbose_name="ressource",
        on_delete=models.CASCADE,
        related_name="sushi_sources",
    )
    reports = models.CharField(
        "rapports à moissonner",
        max_length=200,
        default="PR_P1 TR_B1",
        help_text="Identifiants COUNTER séparés par des espaces, par exemple « PR_P1 TR_B1 ».",
    )
    first_month = models.DateField(
        "moissonner à partir du mois", help_text="Le premier jour du premier mois voulu."
    )
    blocked = models.CharField(
        "arrêtée", max_length=12, choices=Block.choices, default=Block.NONE, blank=True
    )
    blocked_reason = models.TextField("motif de l'arrêt", blank=True)
    blocked_at = models.DateTimeField("arrêtée le", null=True, blank=True)
    cool_down_until = models.DateTimeField("en pause jusqu'au", null=True, blank=True)
    last_harvest_at = models.DateTimeField("dernière moisson", null=True, blank=True)

    class Meta:
        verbose_name = "moisson SUSHI d'une ressource"
        verbose_name_plural = "moissons SUSHI des ressources"
        ordering = ["resource__name"]

    def __str__(self):
        return f"{self.resource} ← {self.connector.name}"

    def report_ids(self) -> list[str]:
        return [r.strip().upper() for r in self.reports.replace(",", " ").split() if r.strip()]


class SushiMonth(models.Model):
    """The harvest state of one (connector, report, release, month), implementing COUNTER.md §2's
    table of exceptions: what the last answer was, how many tries, when to ask again
    (``next_attempt_at`` None: never again)."""

    class State(models.TextChoices):
        PENDING = "pending", "À moissonner"
        IMPORTED = "imported", "Importé"
        PARTIAL = "partial", "Partiel, à reprendre"
        EMPTY = "empty", "Aucun usage (3030)"
        WAITING = "waiting", "Serveur indisponible, nouvel essai prévu"
        UNAVAILABLE = "unavailable", "Plus disponible chez le fournisseur"
        FAILED = "failed", "En échec"

    source = models.ForeignKey(SushiSource, on_delete=models.CASCADE, related_name="months")
    report_code = models.CharField("rapport", max_length=20)
    release = models.CharField("version COUNTER", max_length=5, default="5.1")
    month = models.DateField("mois")
    state = models.CharField("état", max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField("essais", default=0)
    last_code = models.IntegerField("dernier code COUNTER", null=True, blank=True)
    last_message = models.TextField("dernier message", blank=True)
    last_attempt_at = models.DateTimeField("dernier essai", null=True, blank=True)
    next_attempt_at = models.DateTimeField("prochain essai", null=True, blank=True)
    parameters_ignored = models.BooleanField("paramètres ignorés (3050–3071)", default=False)
    report = models.ForeignKey(
        CounterReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "mois moissonné"
        verbose_name_plural = "mois moissonnés"
        ordering = ["source", "report_code", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "report_code", "release", "month"], name="sushi_month_unique"
            )
        ]

    def __str__(self):
        return f"{self.source} {self.report_code} {self.month:%m/%Y}: {self.get_state_display()}"
