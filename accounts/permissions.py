"""One permission mechanism for everything a library owns.

Each back-office model gets a :class:`LibraryScopedPolicy` that says, per role, which
actions are allowed and on which rows: network administrators act on every row; library
staff act only on rows whose library (reached through ``library_path``) is their own,
optionally narrowed by a condition (a library administrator changes editors, not other
administrators). Wagtail views, the API and tests all ask the same policy; the row check
is a database query, so what a list shows and what an edit URL allows cannot diverge.
"""

from collections.abc import Iterable, Mapping

from django.db.models import Model, Q, QuerySet
from wagtail.permission_policies.base import BasePermissionPolicy

from accounts.models import Role

ACTIONS = ("view", "add", "change", "delete", "export")
READ_ACTIONS = ("view", "export")
# A grant: action -> None (every row of the user's library) or a Q narrowing those rows.
Grants = Mapping[str, Mapping[str, Q | None]]


class LibraryScopedPolicy(BasePermissionPolicy):
    def __init__(
        self,
        model,
        *,
        library_path: str | None,
        grants: Grants,
        rows: Q | None = None,
        read_only: bool = False,
    ):
        super().__init__(model)
        self.library_path = library_path
        self.grants = grants
        self.rows = rows  # the rows this policy governs at all (e.g. staff, not patrons)
        # Rows written by the system only (harvest runs...): nobody adds, edits or deletes.
        self.read_only = read_only

    def _all(self) -> QuerySet:
        queryset = self.model._default_manager.all()
        return queryset.filter(self.rows) if self.rows is not None else queryset

    def _grant(self, user, action: str) -> tuple[bool, Q | None]:
        if not (user and user.is_authenticated and user.is_active):
            return False, None
        role_grants = self.grants.get(user.role, {})
        if action not in role_grants:
            return False, None
        return True, role_grants[action]

    def user_has_permission(self, user, action: str) -> bool:
        if self.read_only and action not in READ_ACTIONS:
            return False
        if getattr(user, "is_network_admin", False):
            return True
        allowed, _ = self._grant(user, action)
        if allowed and self.library_path is not None:
            return user.library_id is not None
        return allowed

    def user_has_any_permission(self, user, actions: Iterable[str]) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def instances_user_has_permission_for(self, user, action: str) -> QuerySet:
        queryset = self._all()
        if self.read_only and action not in READ_ACTIONS:
            return queryset.none()
        if getattr(user, "is_network_admin", False):
            return queryset
        allowed, condition = self._grant(user, action)
        if not allowed or user.library_id is None:
            return queryset.none()
        if self.library_path is not None:
            queryset = queryset.filter(**{self.library_path: user.library_id})
        if condition is not None:
            queryset = queryset.filter(condition)
        return queryset

    def instances_user_has_any_permission_for(self, user, actions: Iterable[str]) -> QuerySet:
        querysets = [self.instances_user_has_permission_for(user, a) for a in actions]
        pks = Q(pk__in=[])
        for qs in querysets:
            pks |= Q(pk__in=qs.values("pk"))
        return self._all().filter(pks)

    def user_has_permission_for_instance(self, user, action: str, instance: Model) -> bool:
        return self.instances_user_has_permission_for(user, action).filter(pk=instance.pk).exists()

    def user_has_any_permission_for_instance(self, user, actions, instance) -> bool:
        return any(self.user_has_permission_for_instance(user, a, instance) for a in actions)

    def users_with_any_permission(self, actions):
        roles = [role for role, grants in self.grants.items() if set(actions) & set(grants)]
        from accounts.models import User

        return User.objects.filter(
            Q(is_active=True)
            & (Q(is_superuser=True) | Q(role=Role.NETWORK_ADMIN) | Q(role__in=roles))
        )

    def users_with_any_permission_for_instance(self, actions, instance):
        return self.users_with_any_permission(actions)


def network_only(model) -> LibraryScopedPolicy:
    """Network-wide reference data (communes…): network administrators only."""
    return LibraryScopedPolicy(model, library_path=None, grants={})
