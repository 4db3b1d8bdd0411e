from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = "Catalogue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from catalogue import deletions, search
        from network.models import Commune, Library, Site

        deletions.connect()
        for model in (Library, Site, Commune):  # facet labels name them
            post_save.connect(search.forget_names, sender=model, dispatch_uid=f"names-{model}")
            post_delete.connect(search.forget_names, sender=model, dispatch_uid=f"names-d-{model}")
