"""Statistics in the back-office: the digital library's usage dashboard (network
administrators), active members per library and year (entered or imported)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.panels import FieldPanel, ObjectList

import stats.permissions  # noqa: F401  (registers the permission policies)
from accounts.viewsets import LibraryScopedViewSet, NetworkAdminMenuItem
from stats import admin_views
from stats.filters import ActiveMembersFilterSet
from stats.forms import ActiveMembersForm
from stats.models import ActiveMembers
from stats.permissions import active_members_policy


class ActiveMembersViewSet(LibraryScopedViewSet):
    model = ActiveMembers
    icon = "group"
    menu_label = "Inscrits actifs"
    add_to_admin_menu = False
    list_display = ["library", "year", "count", "updated_at"]
    filterset_class = ActiveMembersFilterSet
    search_fields = ["library__name"]
    list_export = ["library", "year", "count"]
    export_filename = "inscrits-actifs"
    edit_handler = ObjectList(
        [FieldPanel("library"), FieldPanel("year"), FieldPanel("count")],
        base_form_class=ActiveMembersForm,
    )


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return active_members_policy.user_has_permission(request.user, "add")


active_members_viewset = ActiveMembersViewSet("inscrits-actifs")


@hooks.register("register_admin_viewset")
def register_stats_viewsets():
    return [active_members_viewset]


@hooks.register("register_admin_urls")
def register_stats_urls():
    return [
        path("statistiques/usages/", admin_views.usage_dashboard, name="stats_usage"),
        path(
            "statistiques/inscrits-actifs/importer/",
            admin_views.import_active_members,
            name="stats_import_active_members",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_stats_menu():
    items = [
        NetworkAdminMenuItem(
            "Usages de la bibliothèque numérique", reverse("stats_usage"), icon_name="table",
            order=100,
        ),
        active_members_viewset.get_menu_item(order=200),
        ImportMenuItem(
            "Importer des inscrits actifs", reverse("stats_import_active_members"),
            icon_name="upload", order=300,
        ),
        NetworkAdminMenuItem(
            "Rapports COUNTER des fournisseurs", reverse("stats_counter_reports"),
            icon_name="doc-full", order=400,
        ),
        NetworkAdminMenuItem(
            "Moissons SUSHI", reverse("stats_sushi_sources"), icon_name="download", order=500
        ),
    ]  # fmt: skip
    return SubmenuMenuItem("Statistiques", Menu(items=items), icon_name="table", order=280)


# ---------------------------------------------------------------- COUNTER / SUSHI
# Vendors' statistics (stats.counter_views): network administrators only; their entries
# are in the Statistiques menu above.


@hooks.register("register_admin_urls")
def register_counter_urls():
    from stats import counter_views

    return [
        path("statistiques/counter/", counter_views.reports, name="stats_counter_reports"),
        path(
            "statistiques/counter/<int:pk>/",
            counter_views.report_detail,
            name="stats_counter_report",
        ),
        path("statistiques/sushi/", counter_views.sushi_sources, name="stats_sushi_sources"),
        path("statistiques/sushi/<int:pk>/", counter_views.sushi_source, name="stats_sushi_source"),
    ]
