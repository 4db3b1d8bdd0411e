from django.apps import AppConfig


class DigitalConfig(AppConfig):
    name = "digital"
    verbose_name = "Bibliothèque numérique"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from digital import checks  # noqa: F401  (registers the system checks)
        from digital.models import Resource
        from metrobib.pagecache import bump_version

        # Cached pages show resources (selections' blocks, catalogue search's matches).
        post_save.connect(bump_version, sender=Resource, dispatch_uid="pagecache-save-resource")
        post_delete.connect(bump_version, sender=Resource, dispatch_uid="pagecache-del-resource")
        for through in (Resource.communes.through, Resource.libraries.through):
            m2m_changed.connect(bump_version, sender=through, dispatch_uid=f"pagecache-{through}")
