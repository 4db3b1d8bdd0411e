from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, SubmenuMenuItem
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    HelpPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
)
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views.generic import models as generic

import agenda.permissions  # noqa: F401  (registers the permission policies)
from accounts.viewsets import (
    LibraryScopedViewSet,
    LinkColumn,
    NetworkAdminMenuItem,
    ScopedEditView,
)
from agenda import admin_views, services
from agenda.admin_filters import OccurrenceFilterSet
from agenda.forms import EventForm, OccurrenceForm
from agenda.models import Event, NetworkOperation, Occurrence, SchoolHoliday

IMPORTED_WARNING = (
    "<p><strong>Événement importé.</strong> S'il vient du flux iCalendar d'un connecteur, "
    "la prochaine importation remplace ce que vous modifiez ici : changez-le plutôt dans "
    "l'agenda d'origine.</p>"
)


class EventCreateView(generic.CreateView):
    def save_instance(self):
        event = super().save_instance()
        services.sync_occurrences(event)
        return event


class EventEditView(ScopedEditView):
    def save_instance(self):
        event = super().save_instance()
        services.sync_occurrences(event)
        return event


class ImportedEventPanel(HelpPanel):
    """A warning shown only on an event a connector's feed owns."""

    class BoundPanel(HelpPanel.BoundPanel):
        def is_shown(self):
            return bool(self.instance.source_connector_id)


def _dates_link(event: Event) -> str:
    return f"{reverse(occurrence_viewset.get_url_name('index'))}?event={event.pk}"


class EventViewSet(LibraryScopedViewSet):
    model = Event
    add_view_class = EventCreateView
    edit_view_class = EventEditView
    icon = "date"
    menu_label = "Événements"
    add_to_admin_menu = False
    list_display = [
        "title",
        "library",
        "starts_at",
        "category",
        BooleanColumn("registration_required", label="Inscription"),
        BooleanColumn("published", label="Publié"),
        LinkColumn("dates", label="Dates", text="Dates et inscriptions", url=_dates_link),
    ]
    list_filter = ["library", "category", "audience", "registration_required", "published"]
    search_fields = ["title", "summary"]
    ordering = ["-starts_at"]
    list_export = [
        "title", "library", "site", "place_name", "starts_at", "ends_at", "rrule", "category",
        "audience", "age_min", "age_max", "is_free", "price", "registration_required",
        "capacity",
    ]  # fmt: skip
    edit_handler = ObjectList(
        [
            ImportedEventPanel(content=IMPORTED_WARNING),
            MultiFieldPanel(
                [
                    FieldPanel("library"),
                    FieldPanel("title"),
                    FieldPanel("summary"),
                    FieldPanel("description"),
                    FieldRowPanel([FieldPanel("category"), FieldPanel("operations")]),
                    FieldRowPanel([FieldPanel("image"), FieldPanel("image_alt")]),
                ],
                heading="Présentation",
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
                    FieldRowPanel([FieldPanel("repeat"), FieldPanel("repeat_until")]),
                    FieldPanel("skip_school_holidays"),
                    FieldPanel("excluded"),
                    FieldPanel("rrule"),
                    InlinePanel("extra_dates", heading="Autres dates", label="date"),
                    FieldPanel("cancelled"),
                ],
                heading="Dates",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("site"),
                    FieldPanel("place_name"),
                    FieldRowPanel([FieldPanel("place_address"), FieldPanel("place_commune")]),
                ],
                heading="Lieu",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("audience"),
                    FieldRowPanel([FieldPanel("age_min"), FieldPanel("age_max")]),
                    FieldRowPanel([FieldPanel("is_free"), FieldPanel("price")]),
                    FieldRowPanel(
                        [
                            FieldPanel("sign_language"),
                            FieldPanel("audio_description"),
                            FieldPanel("step_free"),
                        ]
                    ),
                    FieldPanel("accessibility_notes"),
                    FieldRowPanel([FieldPanel("organiser"), FieldPanel("partners")]),
                ],
                heading="Public, tarif, accessibilité",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("registration_required"),
                    FieldRowPanel(
                        [FieldPanel("capacity"), FieldPanel("max_places_per_registration")]
                    ),
                ],
                heading="Inscription",
            ),
            FieldPanel("published"),
        ],
        base_form_class=EventForm,
    )


class OccurrenceEditView(ScopedEditView):
    """Each change goes through a service, which tells the registrants."""

    def save_instance(self):
        before = Occurrence.objects.get(pk=self.object.pk)
        data = self.form.cleaned_data
        occurrence = before
        user = self.request.user
        if data["cancel"] and not before.is_cancelled:
            return services.cancel_occurrence(before, actor=user, note=data["note"])
        if (data["starts_at"], data["ends_at"]) != (before.starts_at, before.ends_at):
            occurrence = services.move_occurrence(
                before, starts_at=data["starts_at"], ends_at=data["ends_at"], actor=user,
                note=data["note"],
            )  # fmt: skip
        if data["capacity"] is not None and data["capacity"] != before.capacity:
            occurrence = services.set_capacity(occurrence, data["capacity"], actor=user)
        if data["note"] != occurrence.note:
            occurrence.note = data["note"]
            occurrence.save(update_fields=["note"])
        return occurrence


def _places(occurrence: Occurrence) -> str:
    if occurrence.capacity is None:
        return "Entrée libre"
    return f"{occurrence.confirmed_places} / {occurrence.capacity}"


def _registrations_link(occurrence: Occurrence) -> str:
    return reverse("agenda_registrations", args=[occurrence.pk])


class OccurrenceViewSet(LibraryScopedViewSet):
    model = Occurrence
    edit_view_class = OccurrenceEditView
    icon = "calendar"
    menu_label = "Dates et inscriptions"
    add_to_admin_menu = False
    add_view_enabled = False
    list_display = [
        "event",
        "starts_at",
        "status",
        Column("places", label="Places réservées", accessor=_places),
        LinkColumn("registrations", label="Inscrits", text="Inscriptions", url=_registrations_link),
    ]
    filterset_class = OccurrenceFilterSet
    search_fields = ["event__title"]
    ordering = ["starts_at"]
    list_export = ["event", "starts_at", "ends_at", "status", "capacity", "confirmed_places"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
            FieldPanel("capacity"),
            FieldPanel("cancel"),
            FieldPanel("note"),
        ],
        base_form_class=OccurrenceForm,
    )


class NetworkOperationViewSet(LibraryScopedViewSet):
    model = NetworkOperation
    icon = "tag"
    menu_label = "Opérations du réseau"
    add_to_admin_menu = False
    list_display = ["name", "slug"]
    list_export = ["name", "slug", "description"]
    form_fields = ["name", "slug", "description"]


class SchoolHolidayViewSet(LibraryScopedViewSet):
    model = SchoolHoliday
    icon = "date"
    menu_label = "Vacances scolaires"
    add_to_admin_menu = False
    list_display = ["name", "zone", "start_date", "end_date"]
    list_filter = ["zone"]
    list_export = ["zone", "name", "start_date", "end_date"]
    form_fields = ["zone", "name", "start_date", "end_date"]


event_viewset = EventViewSet("evenements")
occurrence_viewset = OccurrenceViewSet("dates")
operation_viewset = NetworkOperationViewSet("operations")
holiday_viewset = SchoolHolidayViewSet("vacances-scolaires")


@hooks.register("register_admin_viewset")
def register_agenda_viewsets():
    return [event_viewset, occurrence_viewset, operation_viewset, holiday_viewset]


@hooks.register("register_admin_urls")
def register_agenda_urls():
    return [
        path(
            "dates/<int:pk>/inscriptions/",
            admin_views.registrations,
            name="agenda_registrations",
        ),
        path(
            "connecteurs/<int:pk>/agenda/",
            admin_views.calendar_import,
            name="agenda_calendar_import",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_agenda_menu():
    items = [
        event_viewset.get_menu_item(order=100),
        occurrence_viewset.get_menu_item(order=200),
        NetworkAdminMenuItem(
            "Opérations du réseau",
            reverse(operation_viewset.get_url_name("index")),
            icon_name="tag",
            order=300,
        ),
        NetworkAdminMenuItem(
            "Vacances scolaires",
            reverse(holiday_viewset.get_url_name("index")),
            icon_name="date",
            order=400,
        ),
    ]
    return SubmenuMenuItem("Agenda", Menu(items=items), icon_name="date", order=250)
