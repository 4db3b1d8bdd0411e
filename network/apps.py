from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class NetworkConfig(AppConfig):
    name = "network"
    verbose_name = "Réseau"

    def ready(self):
        from wagtail.signals import page_published, page_unpublished

        from metrobib.pagecache import bump_version
        from network.models import Commune, Feature, Library, OpeningException, Site

        # Cached public pages show these rows (and links to library pages): any change
        # makes them stale at once.
        for model in (Commune, Feature, Library, OpeningException, Site):
            post_save.connect(bump_version, sender=model, dispatch_uid=f"pagecache-save-{model}")
            post_delete.connect(bump_version, sender=model, dispatch_uid=f"pagecache-del-{model}")
        for through in (Site.features.through, Library.communes.through):
            m2m_changed.connect(bump_version, sender=through, dispatch_uid=f"pagecache-{through}")
        page_published.connect(bump_version, dispatch_uid="pagecache-page-published")
        page_unpublished.connect(bump_version, dispatch_uid="pagecache-page-unpublished")
