"""Back-office screens scoped to a library, built once and reused by every app.

A :class:`LibraryScopedViewSet` takes a model and its :class:`LibraryScopedPolicy`; every
view it makes (list, export, create, edit, delete, inspect, history, usage) reads its
rows through the policy, so another library's object is a 404 whatever the URL, and the
action itself is a 403 when the role does not allow it. Forms narrow their choices of
library-owned objects (a site's library, an exception's site) the same way.
"""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.html import format_html
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import models as generic
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.model import ModelViewSet

from accounts.permissions import LibraryScopedPolicy

VIEW_ACTIONS = ["view", "change", "delete"]


class ScopedMixin:
    """Rows come from the policy: what the user may not see does not exist (404), and an
    action the role does not allow on a visible row is refused (403)."""

    instance_action = "view"

    def scoped_queryset(self):
        return self.permission_policy.instances_user_has_any_permission_for(
            self.request.user, VIEW_ACTIONS
        )

    def checked(self, obj):
        # An action the role never has is a 403 before any lookup, whichever view fetches
        # its object first (delete and inspect look it up in setup(), before dispatch()).
        if not self.permission_policy.user_has_permission(self.request.user, self.instance_action):
            raise PermissionDenied
        if obj is None:
            raise Http404
        if not self.permission_policy.user_has_permission_for_instance(
            self.request.user, self.instance_action, obj
        ):
            raise PermissionDenied
        return obj


class ScopedFormObjectMixin(ScopedMixin):
    """For views built on Django's SingleObjectMixin (edit, delete, inspect)."""

    def get_object(self, queryset=None):
        if getattr(self, "object", None) is not None:
            return self.object
        pk = unquote(str(self.kwargs[self.pk_url_kwarg]))
        return self.checked(self.scoped_queryset().filter(pk=pk).first())


class ScopedBaseObjectMixin(ScopedMixin):
    """For views built on Wagtail's BaseObjectMixin (history, usage)."""

    def get_base_object_queryset(self):
        return self.scoped_queryset()

    def get_object(self):
        return self.checked(self.get_base_object_queryset().filter(pk=self.pk).first())


class ScopedIndexView(ScopedMixin, generic.IndexView):
    def get_base_queryset(self):
        return self.scoped_queryset()

    def dispatch(self, request, *args, **kwargs):
        if request.GET.get("export") and not self.permission_policy.user_has_permission(
            request.user, "export"
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ScopedEditView(ScopedFormObjectMixin, generic.EditView):
    instance_action = "change"


class ScopedDeleteView(ScopedFormObjectMixin, generic.DeleteView):
    instance_action = "delete"


class ScopedInspectView(ScopedFormObjectMixin, generic.InspectView):
    instance_action = "view"


class ScopedHistoryView(ScopedBaseObjectMixin, HistoryView):
    pass


class ScopedUsageView(ScopedBaseObjectMixin, UsageView):
    pass


class LibraryScopedForm(WagtailAdminModelForm):
    """Choices of library-owned objects are narrowed to what the user may change.

    ``scoped_fields`` maps a field to its policy (choices: the rows the user may change)
    or to ``(policy, action)`` when another action decides the choices.
    """

    scoped_fields: dict[str, LibraryScopedPolicy | tuple[LibraryScopedPolicy, str]] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        for name, scope in self.scoped_fields.items():
            policy, action = scope if isinstance(scope, tuple) else (scope, "change")
            if name in self.fields and user is not None:
                self.fields[name].queryset = policy.instances_user_has_permission_for(user, action)


class LibraryScopedViewSet(ModelViewSet):
    """A Wagtail ModelViewSet whose every view reads rows through ``permission_policy``."""

    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    copy_view_enabled = False
    inspect_view_enabled = True


class NetworkAdminMenuItem(MenuItem):
    """A back-office menu entry only network administrators see."""

    def is_shown(self, request):
        return request.user.is_network_admin


class LinkColumn(Column):
    """A column holding a link built from the row (e.g. to the connector's harvest page).
    ``text`` is a string or a function of the row."""

    def __init__(self, name, *, label, text, url):
        super().__init__(name, label=label)
        self.text, self.url = text, url

    def get_value(self, instance):
        text = self.text(instance) if callable(self.text) else self.text
        return format_html('<a href="{}">{}</a>', self.url(instance), text)
