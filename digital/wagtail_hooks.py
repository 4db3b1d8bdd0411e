from django import forms
from django.contrib import messages
from django.urls import reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList, Panel
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.views import generic

from accounts.viewsets import LibraryScopedViewSet, NetworkAdminMenuItem, ScopedEditView
from digital import oidc
from digital.chooser import resource_chooser_viewset
from digital.forms import LibraryNetworkForm, ResourceForm
from digital.models import AccessMethod, LibraryNetwork, Resource
from digital.permissions import resource_policy


class OidcClientPanel(Panel):
    """The OpenID Connect client of the resource, for the vendor's settings."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "digital/admin/oidc_client_panel.html"

        def is_shown(self):
            return bool(self.instance and self.instance.oidc_client_id)

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["client"] = self.instance.oidc_client
            context["discovery"] = self.request.build_absolute_uri(
                reverse("oauth2_provider:oidc-connect-discovery-info")
            )
            return context


class ResourceSaveMixin:
    """Saving an OpenID Connect resource makes or updates its client; a new secret is
    shown once, in the confirmation message (only its hash is kept). A library's
    proposal is told it awaits the network's publication."""

    def save_instance(self):
        instance = super().save_instance()
        if not self.request.user.is_network_admin:
            messages.info(
                self.request,
                "Votre proposition sera publiée après validation par la coordination du réseau.",
            )
        if instance.access_method == AccessMethod.OIDC:
            secret = oidc.ensure_client(instance)
            if secret:
                messages.warning(
                    self.request,
                    f"Client OpenID Connect créé : identifiant {instance.oidc_client.client_id}, "
                    f"secret {secret}. Transmettez-les au fournisseur ; le secret ne sera plus "
                    "affiché.",
                )
        return instance


class ResourceCreateView(ResourceSaveMixin, generic.CreateView):
    pass


class ResourceEditView(ResourceSaveMixin, ScopedEditView):
    pass


# Fields only network administrators see: they alone hold Django's model permissions
# (accounts.User.save makes them superusers); a library's staff propose free resources
# by a plain link, published by the network (digital.permissions).
NETWORK = "digital.change_librarynetwork"


class ResourceViewSet(LibraryScopedViewSet):
    model = Resource
    add_view_class = ResourceCreateView
    edit_view_class = ResourceEditView
    icon = "globe"
    menu_label = "Ressources numériques"
    add_to_admin_menu = False
    list_display = [
        "name", "kind", "vendor", "access_method", "proposed_by",
        BooleanColumn("is_free", label="Libre"), BooleanColumn("published", label="Publiée"),
    ]  # fmt: skip
    list_filter = ["kind", "access_method", "is_free", "published", "proposed_by"]
    search_fields = ["name", "vendor"]
    list_export = ["name", "slug", "kind", "vendor", "access_method", "url", "is_free", "published"]
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("name"), FieldPanel("slug"), FieldPanel("vendor"),
                    FieldPanel("kind"), FieldPanel("summary"), FieldPanel("guide"),
                    FieldRowPanel([FieldPanel("logo"), FieldPanel("logo_alt")]),
                ],
                heading="Présentation",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("audience"),
                    FieldRowPanel([FieldPanel("age_min"), FieldPanel("age_max")]),
                    FieldPanel("languages"),
                    FieldPanel("devices"),
                ],
                heading="Public",
            ),
            FieldPanel("url"),
            MultiFieldPanel(
                [
                    FieldPanel("is_free", permission=NETWORK),
                    FieldPanel("access_method", permission=NETWORK),
                    FieldPanel("signing_key", permission=NETWORK),
                    FieldPanel("vendor_urls", permission=NETWORK),
                    FieldPanel("shared_attributes", permission=NETWORK), OidcClientPanel(),
                    FieldPanel("simultaneous_limit", permission=NETWORK),
                    FieldPanel("on_site_only", permission=NETWORK),
                ],
                heading="Accès",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("whole_network", permission=NETWORK),
                    FieldPanel("communes", widget=forms.CheckboxSelectMultiple,
                               permission=NETWORK),
                    FieldPanel("libraries", widget=forms.CheckboxSelectMultiple,
                               permission=NETWORK),
                ],
                heading="Qui la propose",
            ),
            FieldPanel("published", permission=NETWORK),
        ],
        base_form_class=ResourceForm,
    )  # fmt: skip


class LibraryNetworkViewSet(LibraryScopedViewSet):
    model = LibraryNetwork
    icon = "site"
    menu_label = "Réseaux des bibliothèques"
    add_to_admin_menu = False
    list_display = ["library", "cidr"]
    list_export = ["library", "cidr"]
    form_fields = ["library", "cidr"]
    edit_handler = ObjectList(
        [FieldPanel("library"), FieldPanel("cidr")], base_form_class=LibraryNetworkForm
    )


resource_viewset = ResourceViewSet("ressources-numeriques")
network_viewset = LibraryNetworkViewSet("reseaux-bibliotheques")


class ResourceMenuItem(MenuItem):
    """Network administrators manage resources; a library's staff propose theirs."""

    def is_shown(self, request):
        return resource_policy.user_has_permission(request.user, "add")


@hooks.register("register_admin_viewset")
def register_digital_viewsets():
    return [resource_viewset, network_viewset, resource_chooser_viewset]


@hooks.register("register_admin_menu_item")
def register_digital_menu():
    items = [
        ResourceMenuItem(
            "Ressources", reverse(resource_viewset.get_url_name("index")), icon_name="globe",
            order=100,
        ),
        NetworkAdminMenuItem(
            "Réseaux des bibliothèques (accès sur place)",
            reverse(network_viewset.get_url_name("index")), icon_name="site", order=200,
        ),
    ]  # fmt: skip
    return SubmenuMenuItem(
        "Bibliothèque numérique", Menu(items=items), icon_name="globe", order=270
    )
