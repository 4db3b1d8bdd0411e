from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


class Role(models.TextChoices):
    NETWORK_ADMIN = "network_admin", "Administrateur du réseau"
    LIBRARY_ADMIN = "library_admin", "Administrateur de bibliothèque"
    LIBRARY_EDITOR = "library_editor", "Éditeur de bibliothèque"
    PATRON = "patron", "Usager"


LIBRARY_ROLES = (Role.LIBRARY_ADMIN, Role.LIBRARY_EDITOR)
STAFF_ROLES = (Role.NETWORK_ADMIN, *LIBRARY_ROLES)


class User(AbstractUser):
    """Every person the portal knows: the network's staff and, later, patrons.

    The role decides what a person may do; library staff belong to exactly one library
    (a database constraint holds it), network administrators and patrons to none here.
    """

    email = models.EmailField("adresse e-mail", blank=True)
    role = models.CharField("rôle", max_length=20, choices=Role.choices, default=Role.PATRON)
    library = models.ForeignKey(
        "network.Library",
        verbose_name="bibliothèque",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        constraints = [
            models.CheckConstraint(
                name="library_staff_have_a_library",
                condition=(
                    Q(role__in=[r.value for r in LIBRARY_ROLES], library__isnull=False)
                    | (~Q(role__in=[r.value for r in LIBRARY_ROLES]) & Q(library__isnull=True))
                ),
                violation_error_message=(
                    "Un membre du personnel d'une bibliothèque est rattaché à une seule "
                    "bibliothèque ; les autres rôles à aucune."
                ),
            )
        ]

    @property
    def is_network_admin(self) -> bool:
        return self.is_active and (self.is_superuser or self.role == Role.NETWORK_ADMIN)

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        # ``createsuperuser`` knows no roles; afterwards the role alone decides.
        if self._state.adding and self.is_superuser and self.role == Role.PATRON:
            self.role = Role.NETWORK_ADMIN
        self.is_superuser = self.role == Role.NETWORK_ADMIN
        self.is_staff = self.role in STAFF_ROLES
        super().save(*args, **kwargs)
        if update_fields is None or {"role", "library"} & set(update_fields):
            from accounts.services import sync_staff_groups

            sync_staff_groups(self)


class StaffMember(User):
    """The staff seen from the back-office's "Équipe" screen (scoped per library).

    A proxy so that its permission policy does not replace Wagtail's own one for users.
    """

    class Meta:
        proxy = True
        verbose_name = "membre du personnel"
        verbose_name_plural = "membres du personnel"


class AgeBand(models.TextChoices):
    """Age bands the portal keeps instead of a birth date (statistics, access rules)."""

    CHILD = "0-14", "Moins de 15 ans"
    TEEN = "15-17", "15 à 17 ans"
    YOUNG_ADULT = "18-25", "18 à 25 ans"
    ADULT = "26-64", "26 à 64 ans"
    SENIOR = "65+", "65 ans et plus"


class Patron(models.Model):
    """What the portal keeps of a patron: their home library, commune and age band, as
    their library's system gave them at their last login. Names and e-mail are on the
    user; library cards (with the system's own data) on :class:`LibraryCard`."""

    user = models.OneToOneField(
        User, verbose_name="utilisateur", on_delete=models.CASCADE, related_name="patron"
    )
    home_library = models.ForeignKey(
        "network.Library",
        verbose_name="bibliothèque de rattachement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    commune = models.ForeignKey(
        "network.Commune",
        verbose_name="commune de résidence",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    age_band = models.CharField("tranche d'âge", max_length=5, choices=AgeBand.choices, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    # Off unless the patron turns it on; turning it off erases the history.
    keeps_reading_history = models.BooleanField("garder l'historique de mes prêts", default=False)

    class Meta:
        verbose_name = "usager"
        verbose_name_plural = "usagers"

    def __str__(self):
        return self.user.get_full_name() or self.user.username


class LibraryCard(models.Model):
    """A card of a network library, proved by its PIN against the library's system.

    ``system_id`` is the patron's identifier in that system (Koha's borrowernumber), used
    for account calls. The PIN itself is never stored: only ``checked_at``, when it was
    last checked.
    """

    patron = models.ForeignKey(
        Patron, verbose_name="usager", on_delete=models.CASCADE, related_name="cards"
    )
    connector = models.ForeignKey(
        "connectors.Connector",
        verbose_name="système de la bibliothèque",
        on_delete=models.CASCADE,
        related_name="cards",
    )
    card_number = models.CharField("numéro de carte", max_length=40)
    system_id = models.CharField("identifiant dans le système", max_length=40, blank=True)
    name = models.CharField("nom dans le système", max_length=200, blank=True)
    email = models.EmailField("e-mail dans le système", blank=True)
    expires_on = models.DateField("fin d'abonnement", null=True, blank=True)
    blocked = models.BooleanField("bloquée", default=False)
    block_reason = models.CharField("motif du blocage", max_length=200, blank=True)
    checked_at = models.DateTimeField("code vérifié le")
    linked_at = models.DateTimeField("ajoutée le", auto_now_add=True)

    class Meta:
        verbose_name = "carte de bibliothèque"
        verbose_name_plural = "cartes de bibliothèque"
        ordering = ["linked_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "card_number"], name="librarycard_unique_per_system"
            )
        ]

    def __str__(self):
        return f"{self.connector.library} — {self.masked_number}"

    @property
    def library(self):
        return self.connector.library

    @property
    def masked_number(self) -> str:
        """The number as shown on screen: its last four characters only."""
        return "•••• " + self.card_number[-4:]

    def expired(self, today) -> bool:
        return self.expires_on is not None and self.expires_on < today


class ReadingHistoryEntry(models.Model):
    """A loan the patron saw in "mon compte" while keeping a reading history (their
    choice, off by default): the library systems forget returned loans, the portal keeps
    them for the patron only. One entry per copy: a later loan of it moves ``last_seen``."""

    patron = models.ForeignKey(
        Patron, on_delete=models.CASCADE, related_name="reading_history", verbose_name="usager"
    )
    library = models.ForeignKey(
        "network.Library",
        verbose_name="bibliothèque",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    item_id = models.CharField("exemplaire", max_length=64)
    title = models.CharField("titre", max_length=500)
    author = models.CharField("auteur", max_length=255, blank=True)
    first_seen = models.DateField("vu en prêt le")
    last_seen = models.DateField("vu en prêt pour la dernière fois le")

    class Meta:
        verbose_name = "prêt de l'historique"
        verbose_name_plural = "historique des prêts"
        ordering = ["-last_seen", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["patron", "library", "item_id"], name="reading_history_one_per_copy"
            )
        ]

    def __str__(self):
        return self.title


class LoginEvent(models.Model):
    """The audit trail of logins, failures and lockouts, readable by the network's staff.

    Nothing personal: the card number or user name tried is kept as a keyed digest (so
    that attempts on one card can be told apart from attempts on many), the client
    address with its last part cut off.
    """

    class Kind(models.TextChoices):
        SUCCESS = "success", "Connexion réussie"
        FAILURE = "failure", "Échec (identifiants refusés)"
        LOCKOUT = "lockout", "Blocage après trop d'échecs"
        UNAVAILABLE = "unavailable", "Système de la bibliothèque injoignable"
        CARD_LINKED = "card_linked", "Carte ajoutée à un compte"

    at = models.DateTimeField("date", auto_now_add=True, db_index=True)
    kind = models.CharField("événement", max_length=12, choices=Kind.choices)
    library = models.ForeignKey(
        "network.Library",
        verbose_name="bibliothèque",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.ForeignKey(
        User,
        verbose_name="compte",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    login_digest = models.CharField("identifiant (empreinte)", max_length=16, blank=True)
    network = models.CharField("réseau d'origine", max_length=50, blank=True)
    detail = models.CharField("détail", max_length=200, blank=True)

    # Shown in the back-office, so Wagtail would queue a reference-index task for every
    # login; who logged in is not content that "usage" of a library should list.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = "événement de connexion"
        verbose_name_plural = "journal des connexions"
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.at:%d/%m/%Y %H:%M}"


class MetropolitanCard(models.Model):
    """The network's own free card, for anyone living in one of the Métropole's communes.

    The patron chooses a password (a Django hash on the user, whose user name is the card
    number). ``address_validated_at`` is set by staff who saw a proof of address, when
    the network's settings ask for one; until then the card gives what they allow.
    """

    patron = models.OneToOneField(
        Patron, verbose_name="usager", on_delete=models.CASCADE, related_name="metropolitan_card"
    )
    number = models.CharField("numéro de carte", max_length=20, unique=True)
    birth_date = models.DateField("date de naissance")
    street = models.CharField("adresse", max_length=200)
    postal_code = models.CharField("code postal", max_length=5)
    commune = models.ForeignKey(
        "network.Commune", verbose_name="commune", on_delete=models.PROTECT, related_name="+"
    )
    guardian_name = models.CharField(
        "représentant légal", max_length=200, blank=True, help_text="Pour les moins de 15 ans."
    )
    privacy_accepted_at = models.DateTimeField("notice de confidentialité acceptée le")
    email_verified_at = models.DateTimeField("e-mail vérifié le", null=True, blank=True)
    address_validated_at = models.DateTimeField(
        "justificatif de domicile vu le", null=True, blank=True
    )
    address_validated_by = models.ForeignKey(
        User,
        verbose_name="justificatif vu par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    registered_by = models.ForeignKey(
        User,
        verbose_name="inscrit au guichet par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_on = models.DateField("délivrée le")
    expires_on = models.DateField("valable jusqu'au")

    class Meta:
        verbose_name = "carte métropolitaine"
        verbose_name_plural = "cartes métropolitaines"
        ordering = ["-issued_on", "-pk"]

    def __str__(self):
        return self.number


@register_setting(icon="id-card")
class NetworkPatronSettings(BaseGenericSetting):
    """The network's rules for the metropolitan card and for keeping personal data."""

    proof_of_address_required = models.BooleanField(
        "justificatif de domicile demandé",
        default=False,
        help_text=(
            "Si coché, une carte métropolitaine ne donne accès qu'aux ressources libres "
            "tant qu'un membre du personnel n'a pas vu un justificatif de domicile."
        ),
    )
    card_validity_months = models.PositiveSmallIntegerField(
        "durée de validité de la carte (mois)", default=12
    )
    login_events_retention_days = models.PositiveIntegerField(
        "conservation du journal des connexions (jours)", default=365
    )
    inactive_patron_retention_days = models.PositiveIntegerField(
        "suppression des comptes sans connexion depuis (jours)", default=3 * 365
    )
    unverified_card_retention_days = models.PositiveIntegerField(
        "suppression des cartes dont l'e-mail n'est pas vérifié après (jours)", default=30
    )
    patron_import_details_retention_days = models.PositiveIntegerField(
        "conservation du détail des lignes rejetées des listes de lecteurs importées (jours)",
        default=90,
    )
    event_registration_retention_days = models.PositiveIntegerField(
        "effacement des inscriptions aux animations après la date (jours)",
        default=7,
        help_text=(
            "Nom, e-mail et téléphone des inscrits ; le nombre de places et la présence restent."
        ),
    )

    class Meta:
        verbose_name = "usagers et données personnelles"
