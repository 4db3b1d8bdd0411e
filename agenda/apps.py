from django.apps import AppConfig


class AgendaConfig(AppConfig):
    name = "agenda"
    verbose_name = "Agenda"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from agenda.models import Event, EventDate, NetworkOperation, Occurrence, Registration
        from metrobib.pagecache import bump_version

        # The home page and library pages show upcoming dates and places left.
        for model in (Event, EventDate, NetworkOperation, Occurrence, Registration):
            post_save.connect(bump_version, sender=model, dispatch_uid=f"pagecache-save-{model}")
            post_delete.connect(bump_version, sender=model, dispatch_uid=f"pagecache-del-{model}")
        m2m_changed.connect(
            bump_version, sender=Event.operations.through, dispatch_uid="pagecache-event-ops"
        )
