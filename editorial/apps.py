from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_site_structure(sender, **kwargs):
    from editorial.services import ensure_site_structure

    ensure_site_structure()


class EditorialConfig(AppConfig):
    name = "editorial"
    verbose_name = "Contenus éditoriaux"

    def ready(self):
        post_migrate.connect(_ensure_site_structure, sender=self)
