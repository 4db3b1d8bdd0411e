from django.apps import AppConfig


class DigitalConfig(AppConfig):
    name = "digital"
    verbose_name = "Bibliothèque numérique"

    def ready(self):
        from digital import checks  # noqa: F401  (registers the system checks)
