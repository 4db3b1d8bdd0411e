"""Back-office: Catalogue › Connecteurs, Codes de lieu, Moissons, Quarantaine, Suivi."""

from django.template.response import TemplateResponse
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, SubmenuMenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views.generic import models as generic

import connectors.permissions  # noqa: F401  (registers the permission policies)
from accounts.viewsets import (
    LibraryScopedViewSet,
    LinkColumn,
    NetworkAdminMenuItem,
    ScopedIndexView,
)
from connectors import registry, views
from connectors.filters import HarvestRunFilterSet, QuarantineFilterSet
from connectors.forms import ConnectorForm, DriverSettingsPanel, SiteCodeForm
from connectors.models import Connector, HarvestRun, SiteCode, SourceRecord


def _harvest_link_text(connector: Connector) -> str:
    if connector.driver == "patron_file":
        return "Importer la liste des lecteurs"
    if connector.driver == "ical":
        return "Importer l'agenda, voir les imports"
    if connector.driver == "sushi":
        return "Voir les moissons SUSHI"
    try:
        harvests = connector.driver_class.supports("harvest")
    except KeyError:  # a driver that no longer exists
        harvests = True
    return "Moissonner, voir les moissons" if harvests else "Disponibilité en direct"


def _harvest_link(connector: Connector) -> str:
    if connector.driver == "sushi":  # its months and runs are on the statistics' pages
        return reverse("stats_sushi_sources")
    name = {"patron_file": "connectors_patron_file", "ical": "agenda_calendar_import"}.get(
        connector.driver, "connectors_harvest"
    )
    return reverse(name, args=[connector.pk])


def what_it_does(driver) -> str:
    """In French, for staff choosing a kind of connector: what the portal gets from it."""
    parts = []
    if driver.supports("harvest"):
        parts.append("moisson des notices et des exemplaires")
    if driver.supports("availability"):
        parts.append("disponibilité en direct des exemplaires")
    if driver.supports("authenticate"):
        parts.append("connexion des lecteurs avec leur carte")
    if driver.supports("account"):
        parts.append("prêts et réservations dans « mon compte »")
    if driver.supports("events"):
        parts.append("animations de la bibliothèque dans l'agenda")
    if driver.supports("usage_reports"):
        parts.append("statistiques d'usage COUNTER d'un fournisseur de ressources numériques")
    return ", ".join(parts)


class ConnectorCreateView(generic.CreateView):
    """Asks for the kind of connector first (its settings depend on it)."""

    def get(self, request, *args, **kwargs):
        if request.GET.get("driver") not in dict(registry.driver_choices()):
            return TemplateResponse(
                request,
                "connectors/admin/choose_driver.html",
                {
                    "page_title": "Ajouter un connecteur",
                    "header_icon": "link",
                    "drivers": [
                        {"name": d.name, "label": d.label, "does": what_it_does(d)}
                        for d in registry.all_drivers()
                    ],
                    "add_url": reverse(connector_viewset.get_url_name("add")),
                    "index_url": reverse(connector_viewset.get_url_name("index")),
                },
            )
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "driver": self.request.GET.get("driver", "")}

    def get_add_url(self):
        return f"{super().get_add_url()}?driver={self.request.GET.get('driver', '')}"


class ConnectorViewSet(LibraryScopedViewSet):
    model = Connector
    add_view_class = ConnectorCreateView
    icon = "link"
    menu_label = "Connecteurs"
    add_to_admin_menu = False
    list_display = [
        "name",
        "library",
        Column("driver_label", label="Type"),
        "schedule",
        BooleanColumn("enabled", label="Actif"),
        LinkColumn(
            "harvests",
            label="Moissons",
            text=_harvest_link_text,
            url=_harvest_link,
        ),
    ]
    list_filter = ["driver", "enabled"]
    search_fields = ["name", "library__name"]
    list_export = ["library", "name", "driver", "schedule", "enabled", "next_since"]
    edit_handler = ObjectList(
        [
            FieldPanel("library"),
            FieldPanel("name"),
            DriverSettingsPanel(heading="Réglages du connecteur"),
            FieldPanel("item_preset"),
            FieldRowPanel([FieldPanel("schedule"), FieldPanel("enabled")]),
            FieldPanel("next_since"),
            FieldPanel("card_pattern"),
        ],
        base_form_class=ConnectorForm,
    )


class SiteCodeViewSet(LibraryScopedViewSet):
    model = SiteCode
    icon = "home"
    menu_label = "Codes de lieu"
    add_to_admin_menu = False
    list_display = ["code", "site", "connector"]
    search_fields = ["code", "site__name"]
    list_export = ["connector", "code", "site"]
    edit_handler = ObjectList(
        [FieldPanel("connector"), FieldPanel("code"), FieldPanel("site")],
        base_form_class=SiteCodeForm,
    )


class HarvestRunViewSet(LibraryScopedViewSet):
    model = HarvestRun
    icon = "history"
    menu_label = "Moissons"
    add_to_admin_menu = False
    list_display = [
        "connector", "created_at", "status", "read", "created", "updated", "unchanged",
        "deleted", "rejected", "missing",
    ]  # fmt: skip
    filterset_class = HarvestRunFilterSet
    search_fields = ["connector__name", "connector__library__name"]
    list_export = [
        "connector", "full", "status", "created_at", "started_at", "finished_at", "read",
        "created", "updated", "unchanged", "deleted", "rejected", "missing", "error",
    ]  # fmt: skip
    inspect_view_fields = [
        "connector", "full", "status", "source_file", "since", "created_at", "started_at",
        "finished_at", "resumed", "read", "created", "updated", "unchanged", "deleted",
        "rejected", "missing", "unknown_site_codes", "error",
    ]  # fmt: skip
    form_fields = ["connector"]


class QuarantineIndexView(ScopedIndexView):
    page_title = "Quarantaine"


class QuarantineViewSet(LibraryScopedViewSet):
    model = SourceRecord
    index_view_class = QuarantineIndexView
    filterset_class = QuarantineFilterSet
    icon = "warning"
    menu_label = "Quarantaine"
    add_to_admin_menu = False
    list_display = [
        "local_id",
        "connector",
        "rejected_reason",
        "last_seen_at",
        LinkColumn(
            "download",
            label="Notice brute",
            text="Télécharger",
            url=lambda r: reverse("connectors_download_record", args=[r.pk]),
        ),
    ]
    search_fields = ["local_id", "rejected_reason"]
    list_export = ["connector", "local_id", "format", "rejected_reason", "last_seen_at"]
    inspect_view_fields = [
        "connector", "local_id", "format", "rejected_reason", "datestamp", "first_seen_at",
        "last_seen_at",
    ]  # fmt: skip
    form_fields = ["local_id"]


connector_viewset = ConnectorViewSet("connecteurs")
site_code_viewset = SiteCodeViewSet("codes-de-lieu")
run_viewset = HarvestRunViewSet("moissons")
quarantine_viewset = QuarantineViewSet("quarantaine")


@hooks.register("register_admin_viewset")
def register_connector_viewsets():
    return [connector_viewset, site_code_viewset, run_viewset, quarantine_viewset]


@hooks.register("register_admin_urls")
def register_connector_urls():
    return [
        path("connecteurs/<int:pk>/moissonner/", views.harvest_page, name="connectors_harvest"),
        path(
            "connecteurs/<int:pk>/lecteurs/", views.patron_file_page, name="connectors_patron_file"
        ),
        path(
            "quarantaine/<int:pk>/notice/",
            views.download_record,
            name="connectors_download_record",
        ),
        path("catalogue/suivi/", views.monitoring, name="connectors_monitoring"),
    ]


@hooks.register("register_admin_menu_item")
def register_catalogue_menu():
    items = [
        connector_viewset.get_menu_item(order=100),
        site_code_viewset.get_menu_item(order=200),
        run_viewset.get_menu_item(order=300),
        quarantine_viewset.get_menu_item(order=400),
        NetworkAdminMenuItem(
            "Suivi des catalogues", reverse("connectors_monitoring"), icon_name="table", order=500
        ),
    ]
    return SubmenuMenuItem("Catalogue", Menu(items=items), icon_name="doc-full", order=250)
