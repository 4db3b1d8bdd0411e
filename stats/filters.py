"""Back-office filters: a library's administrators choose among their own library only."""

import django_filters
from wagtail.admin.filters import WagtailFilterSet

from stats.models import ActiveMembers


def _own_libraries(request):
    from network.models import Library
    from stats.permissions import libraries_for_members

    if request is None:
        return Library.objects.none()
    return libraries_for_members(request.user)


class ActiveMembersFilterSet(WagtailFilterSet):
    library = django_filters.ModelChoiceFilter(label="Bibliothèque", queryset=_own_libraries)

    class Meta:
        model = ActiveMembers
        fields = ["year", "library"]
