"""The digital library's catalogue is the network's: network administrators manage the
resources and the libraries' address ranges. A library's staff propose their own free
resources (a webzine, podcasts): they see and edit only their library's proposals, every
save of theirs leaves the resource unpublished, and a network administrator publishes it
(digital.forms.ResourceForm)."""

from wagtail.permissions import register_permission_policy

from accounts.models import Role
from accounts.permissions import LibraryScopedPolicy, network_only
from digital.models import LibraryNetwork, Resource

PROPOSE = {"view": None, "add": None, "change": None, "delete": None, "export": None}

resource_policy = LibraryScopedPolicy(
    Resource,
    library_path="proposed_by",
    grants={Role.LIBRARY_ADMIN: PROPOSE, Role.LIBRARY_EDITOR: PROPOSE},
)
network_policy = network_only(LibraryNetwork)

register_permission_policy(Resource, resource_policy)
register_permission_policy(LibraryNetwork, network_policy)
