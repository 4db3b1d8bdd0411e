"""Who may do what with connectors, harvests and the quarantine (see the README's table)."""

from django.db.models import Q
from wagtail.permissions import register_permission_policy

from accounts.models import Role
from accounts.permissions import LibraryScopedPolicy
from connectors.models import Connector, HarvestRun, SiteCode, SourceRecord

ALL = {"view": None, "add": None, "change": None, "delete": None, "export": None}
READ = {"view": None, "export": None}

connector_policy = LibraryScopedPolicy(
    Connector, library_path="library", grants={Role.LIBRARY_ADMIN: ALL, Role.LIBRARY_EDITOR: READ}
)
site_code_policy = LibraryScopedPolicy(
    SiteCode,
    library_path="connector__library",
    grants={Role.LIBRARY_ADMIN: ALL, Role.LIBRARY_EDITOR: READ},
)
run_policy = LibraryScopedPolicy(
    HarvestRun,
    library_path="connector__library",
    grants={Role.LIBRARY_ADMIN: READ, Role.LIBRARY_EDITOR: READ},
    read_only=True,
)
quarantine_policy = LibraryScopedPolicy(
    SourceRecord,
    library_path="connector__library",
    grants={Role.LIBRARY_ADMIN: READ, Role.LIBRARY_EDITOR: READ},
    rows=~Q(rejected_reason=""),
    read_only=True,
)

for _model, _policy in [
    (Connector, connector_policy),
    (SiteCode, site_code_policy),
    (HarvestRun, run_policy),
    (SourceRecord, quarantine_policy),
]:
    register_permission_policy(_model, _policy)
