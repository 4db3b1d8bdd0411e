from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    HelpPanel,
    MultiFieldPanel,
    ObjectList,
)
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.views.generic import models as generic

import network.permissions  # noqa: F401  (registers the permission policies)
from accounts.viewsets import LibraryScopedViewSet, NetworkAdminMenuItem
from editorial.services import ensure_library_page
from network.forms import OpeningExceptionForm, SiteForm, SiteImportForm
from network.models import Commune, Library, OpeningException, Site
from network.services import SiteImportError, import_sites

DEMO_WARNING = (
    "<p><strong>Valeurs de démonstration.</strong> Si la case « valeurs de démonstration » "
    "est cochée, les horaires et services de ce site ont été remplis pour la démonstration : "
    "remplacez-les par les vôtres puis décochez la case.</p>"
)


class CommuneViewSet(LibraryScopedViewSet):
    model = Commune
    icon = "globe"
    menu_label = "Communes"
    add_to_admin_menu = False
    list_display = ["name", "insee_code", "population", "former_codes"]
    search_fields = ["name", "insee_code"]
    list_export = ["insee_code", "name", "population", "former_codes", "former_names"]
    form_fields = ["insee_code", "name", "population", "former_codes", "former_names"]


class LibraryCreateView(generic.CreateView):
    def save_instance(self):
        library = super().save_instance()
        ensure_library_page(library)
        return library


class LibraryViewSet(LibraryScopedViewSet):
    model = Library
    add_view_class = LibraryCreateView
    icon = "group"
    menu_label = "Bibliothèques"
    add_to_admin_menu = False
    list_display = ["name", "library_system", "website"]
    list_filter = ["library_system"]
    search_fields = ["name"]
    list_export = ["name", "slug", "library_system", "website", "email", "phone"]
    panels = [
        FieldPanel("name"),
        FieldPanel("slug", permission="network.change_library"),
        FieldPanel("communes", permission="network.change_library"),
        FieldPanel("library_system"),
        FieldRowPanel([FieldPanel("website"), FieldPanel("email"), FieldPanel("phone")]),
    ]


class SiteViewSet(LibraryScopedViewSet):
    model = Site
    icon = "home"
    menu_label = "Sites"
    add_to_admin_menu = False
    list_display = ["name", "library", "commune", BooleanColumn("has_demo_values", label="Démo")]
    list_filter = ["commune", "has_demo_values", "kind"]
    search_fields = ["name", "address"]
    list_export = [
        "source_code", "name", "library", "address", "postcode", "commune",
        "latitude", "longitude", "phone", "email", "opening_hours",
    ]  # fmt: skip
    edit_handler = ObjectList(
        [
            HelpPanel(content=DEMO_WARNING),
            MultiFieldPanel(
                [
                    FieldPanel("library"),
                    FieldPanel("name"),
                    FieldPanel("slug"),
                    FieldPanel("kind"),
                    FieldPanel("source_code"),
                ],
                heading="Identité",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("address"),
                    FieldRowPanel([FieldPanel("postcode"), FieldPanel("commune")]),
                    FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")]),
                    FieldPanel("access_notes"),
                ],
                heading="Adresse",
            ),
            MultiFieldPanel(
                [FieldPanel("phone"), FieldPanel("email"), FieldPanel("website")], heading="Contact"
            ),
            FieldPanel("opening_hours"),
            FieldPanel("features", widget=forms.CheckboxSelectMultiple),
            FieldPanel("seats"),
            MultiFieldPanel([FieldPanel("photo"), FieldPanel("photo_alt")], heading="Photo"),
            FieldPanel("has_demo_values"),
        ],
        base_form_class=SiteForm,
    )


class OpeningExceptionViewSet(LibraryScopedViewSet):
    model = OpeningException
    icon = "date"
    menu_label = "Horaires exceptionnels"
    add_to_admin_menu = False
    list_display = ["site", "label", "start_date", "end_date", "opening_hours"]
    search_fields = ["label", "site__name"]
    list_export = ["site", "label", "start_date", "end_date", "opening_hours"]
    edit_handler = ObjectList(
        [
            FieldPanel("site"),
            FieldPanel("label"),
            FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]),
            FieldPanel("opening_hours"),
        ],
        base_form_class=OpeningExceptionForm,
    )


commune_viewset = CommuneViewSet("communes")
library_viewset = LibraryViewSet("bibliotheques")
site_viewset = SiteViewSet("lieux")
exception_viewset = OpeningExceptionViewSet("horaires-exceptionnels")


@hooks.register("register_admin_viewset")
def register_network_viewsets():
    return [commune_viewset, library_viewset, site_viewset, exception_viewset]


def import_sites_view(request):
    if not request.user.is_network_admin:
        raise PermissionDenied
    form = SiteImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            result = import_sites(form.cleaned_data["file"].read(), actor=request.user)
        except SiteImportError as error:
            errors = error.errors
        else:
            messages.success(
                request,
                f"Import terminé : {result.created} site(s) créé(s), {result.updated} mis à jour.",
            )
            for warning in result.warnings:
                messages.warning(request, warning)
            return redirect(site_viewset.get_url_name("index"))
    return TemplateResponse(
        request, "network/admin/import_sites.html", {"form": form, "errors": errors}
    )


@hooks.register("register_admin_urls")
def register_import_url():
    return [path("lieux/importer/", import_sites_view, name="network_import_sites")]


@hooks.register("register_admin_menu_item")
def register_network_menu():
    from wagtail.admin.menu import Menu, SubmenuMenuItem

    items = [
        library_viewset.get_menu_item(order=100),
        site_viewset.get_menu_item(order=200),
        exception_viewset.get_menu_item(order=300),
        commune_viewset.get_menu_item(order=400),
        NetworkAdminMenuItem(
            "Importer des sites", reverse("network_import_sites"), icon_name="upload", order=500
        ),
    ]
    return SubmenuMenuItem("Réseau", Menu(items=items), icon_name="site", order=200)


class DemoValuesPanel(Component):
    """On the dashboard: the sites of the user's library whose hours are still demo values."""

    name = "demo_values"
    order = 50
    template_name = "network/admin/demo_values_panel.html"

    def __init__(self, sites, total):
        self.sites, self.total = sites, total

    def get_context_data(self, parent_context=None):
        return {
            "sites": self.sites,
            "total": self.total,
            "edit_url_name": site_viewset.get_url_name("edit"),
        }


@hooks.register("construct_homepage_panels")
def add_demo_values_panel(request, panels):
    from network.permissions import site_policy

    sites = site_policy.instances_user_has_permission_for(request.user, "change").filter(
        has_demo_values=True
    )
    total = sites.count()
    if total:
        panels.append(DemoValuesPanel(list(sites.order_by("name")[:10]), total))
