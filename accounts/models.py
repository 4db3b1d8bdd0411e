from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q


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
