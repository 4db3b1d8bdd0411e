"""Who may do what in the agenda: a library's staff act on their own library's events,
dates and registrations; network operations and school holidays are the network's."""

from wagtail.permissions import register_permission_policy

from accounts.models import Role
from accounts.permissions import LibraryScopedPolicy, network_only
from agenda.models import Event, NetworkOperation, Occurrence, Registration, SchoolHoliday

ALL = {"view": None, "add": None, "change": None, "delete": None, "export": None}
# Dates come from the event's schedule: staff change one (move, cancel, places), never
# add or delete one by hand. Registrations are cancelled, never deleted.
EDIT = {"view": None, "change": None, "export": None}
REGISTER = {"view": None, "add": None, "change": None, "export": None}

event_policy = LibraryScopedPolicy(
    Event, library_path="library", grants={Role.LIBRARY_ADMIN: ALL, Role.LIBRARY_EDITOR: ALL}
)
occurrence_policy = LibraryScopedPolicy(
    Occurrence,
    library_path="event__library",
    grants={Role.LIBRARY_ADMIN: EDIT, Role.LIBRARY_EDITOR: EDIT},
)
registration_policy = LibraryScopedPolicy(
    Registration,
    library_path="occurrence__event__library",
    grants={Role.LIBRARY_ADMIN: REGISTER, Role.LIBRARY_EDITOR: REGISTER},
)
operation_policy = network_only(NetworkOperation)
holiday_policy = network_only(SchoolHoliday)

for _model, _policy in [
    (Event, event_policy),
    (Occurrence, occurrence_policy),
    (Registration, registration_policy),
    (NetworkOperation, operation_policy),
    (SchoolHoliday, holiday_policy),
]:
    register_permission_policy(_model, _policy)
