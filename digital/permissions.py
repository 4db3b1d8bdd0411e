"""The digital library's catalogue is the network's: network administrators manage the
resources and the libraries' address ranges. (Library staff proposing their own free
resources through moderation comes with the next step of the digital library.)"""

from wagtail.permissions import register_permission_policy

from accounts.permissions import network_only
from digital.models import LibraryNetwork, Resource

resource_policy = network_only(Resource)
network_policy = network_only(LibraryNetwork)

register_permission_policy(Resource, resource_policy)
register_permission_policy(LibraryNetwork, network_policy)
