"""Who may do what with the network's data: the role × action table, as policies."""

from wagtail.permissions import register_permission_policy

from accounts.models import Role
from accounts.permissions import LibraryScopedPolicy, network_only
from network.models import Commune, Library, OpeningException, Site

ALL = {"view": None, "add": None, "change": None, "delete": None, "export": None}
EDIT = {"view": None, "change": None, "export": None}

commune_policy = network_only(Commune)
library_policy = LibraryScopedPolicy(
    Library,
    library_path="pk",
    grants={Role.LIBRARY_ADMIN: EDIT, Role.LIBRARY_EDITOR: {"view": None, "export": None}},
)
site_policy = LibraryScopedPolicy(
    Site, library_path="library", grants={Role.LIBRARY_ADMIN: ALL, Role.LIBRARY_EDITOR: EDIT}
)
exception_policy = LibraryScopedPolicy(
    OpeningException,
    library_path="site__library",
    grants={Role.LIBRARY_ADMIN: ALL, Role.LIBRARY_EDITOR: ALL},
)

for _model, _policy in [
    (Commune, commune_policy),
    (Library, library_policy),
    (Site, site_policy),
    (OpeningException, exception_policy),
]:
    register_permission_policy(_model, _policy)
