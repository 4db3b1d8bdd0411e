"""What governance reads: the libraries' active members per year (entered or imported by
staff) beside the usage the portal records (``digital.UsageEvent``) and the vendors
report (COUNTER)."""

from django.core.validators import MinValueValidator
from django.db import models


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
