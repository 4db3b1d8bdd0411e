from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.views.generic import models as generic
from wagtail.permissions import register_permission_policy

from accounts import metrocard
from accounts.forms import StaffForm
from accounts.models import (
    LIBRARY_ROLES,
    STAFF_ROLES,
    LoginEvent,
    MetropolitanCard,
    NetworkPatronSettings,
    Role,
    StaffMember,
)
from accounts.permissions import LibraryScopedPolicy
from accounts.services import invite_staff
from accounts.viewsets import LibraryScopedViewSet

OWN_EDITORS = Q(role=Role.LIBRARY_EDITOR)
OWN_STAFF = Q(role__in=LIBRARY_ROLES)

staff_policy = LibraryScopedPolicy(
    StaffMember,
    library_path="library",
    rows=Q(role__in=STAFF_ROLES) | Q(is_superuser=True),
    grants={
        Role.LIBRARY_ADMIN: {
            "view": OWN_STAFF,
            "export": OWN_STAFF,
            "add": OWN_EDITORS,
            "change": OWN_EDITORS,
            "delete": OWN_EDITORS,
        }
    },
)


class StaffCreateView(generic.CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return invite_staff(
            actor=self.request.user,
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            role=data["role"],
            library=data.get("library"),
        )

    def get_success_message(self, instance):
        return (
            f"{instance.get_full_name()} est invité·e : "
            "un e-mail lui permet de choisir son mot de passe."
        )


class StaffViewSet(LibraryScopedViewSet):
    model = StaffMember
    add_view_class = StaffCreateView
    icon = "user"
    menu_label = "Équipe"
    menu_order = 250
    add_to_admin_menu = True
    list_display = ["get_full_name", "email", "role", "library", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["first_name", "last_name", "email"]
    list_export = ["first_name", "last_name", "email", "role", "library", "is_active", "last_login"]
    ordering = ["last_name", "first_name"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("first_name"), FieldPanel("last_name")]),
            FieldPanel("email"),
            FieldRowPanel([FieldPanel("role"), FieldPanel("library")]),
            FieldPanel("is_active"),
        ],
        base_form_class=StaffForm,
    )


register_permission_policy(StaffMember, staff_policy, exact_class=True)
staff_viewset = StaffViewSet("equipe")


@hooks.register("register_admin_viewset")
def register_staff_viewset():
    return staff_viewset


# The audit trail of logins: written by the portal only, read by the network's administrators.
login_event_policy = LibraryScopedPolicy(LoginEvent, library_path=None, grants={}, read_only=True)


class LoginEventViewSet(LibraryScopedViewSet):
    model = LoginEvent
    icon = "history"
    menu_label = "Journal des connexions"
    menu_order = 260
    add_to_admin_menu = True
    list_display = ["at", "kind", "library", "user", "login_digest", "network", "detail"]
    list_filter = ["kind", "library"]
    list_export = ["at", "kind", "library", "user", "login_digest", "network", "detail"]
    ordering = ["-at"]
    inspect_view_fields = ["at", "kind", "library", "user", "login_digest", "network", "detail"]
    form_fields = ["kind"]


register_permission_policy(LoginEvent, login_event_policy, exact_class=True)
login_event_viewset = LoginEventViewSet("journal-connexions")


@hooks.register("register_admin_viewset")
def register_login_event_viewset():
    return login_event_viewset


# ---------------------------------------------------------------- proofs of address


def proof_queue(request):
    """Metropolitan cards waiting for a proof of address, for the staff of any library."""
    if not request.user.is_staff:
        raise PermissionDenied
    query = request.GET.get("q", "").strip()
    cards = (
        MetropolitanCard.objects.filter(address_validated_at__isnull=True)
        .select_related("patron__user", "commune")
        .order_by("issued_on", "pk")
    )
    if query:
        cards = cards.filter(
            Q(number__icontains=query)
            | Q(patron__user__last_name__icontains=query)
            | Q(patron__user__first_name__icontains=query)
        )
    context = {
        "cards": cards[:200],
        "query": query,
        "required": NetworkPatronSettings.load().proof_of_address_required,
    }
    return TemplateResponse(request, "accounts/admin/proof_queue.html", context)


@require_POST
def proof_validate(request, pk: int):
    card = get_object_or_404(MetropolitanCard, pk=pk)
    try:
        metrocard.validate_address(card, actor=request.user)
    except metrocard.RegistrationError as error:
        raise PermissionDenied(error.message) from None
    messages.success(request, f"Justificatif de domicile enregistré pour la carte {card.number}.")
    return redirect("accounts_proof_queue")


@hooks.register("register_admin_urls")
def register_proof_urls():
    return [
        path("justificatifs/", proof_queue, name="accounts_proof_queue"),
        path("justificatifs/<int:pk>/valider/", proof_validate, name="accounts_proof_validate"),
    ]


@hooks.register("register_admin_menu_item")
def register_proof_menu():
    return MenuItem(
        "Justificatifs de domicile",
        reverse("accounts_proof_queue"),
        icon_name="id-card",
        order=270,
    )
