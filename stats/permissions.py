"""Active members: network administrators enter them for every library, a library's
administrators for their own library only; editors do not. The dashboard itself is the
network's (``stats.wagtail_hooks``: network administrators only)."""

from django.db.models import QuerySet
from wagtail.permissions import register_permission_policy

from accounts.models import Role
from accounts.permissions import LibraryScopedPolicy
from network.models import Library
from stats.models import ActiveMembers

ALL = {"view": None, "add": None, "change": None, "delete": None, "export": None}

active_members_policy = LibraryScopedPolicy(
    ActiveMembers, library_path="library", grants={Role.LIBRARY_ADMIN: ALL}
)

register_permission_policy(ActiveMembers, active_members_policy)


def libraries_for_members(user) -> QuerySet:
    """The libraries whose active members ``user`` may enter or import."""
    if getattr(user, "is_network_admin", False):
        return Library.objects.all()
    if active_members_policy.user_has_permission(user, "add"):
        return Library.objects.filter(pk=user.library_id)
    return Library.objects.none()
