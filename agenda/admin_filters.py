"""Back-office filters of the agenda: a library's staff choose among their own events."""

import django_filters
from wagtail.admin.filters import WagtailFilterSet

from agenda.models import Event, Occurrence


def _own_events(request):
    from agenda.permissions import event_policy

    if request is None:
        return Event.objects.none()
    return event_policy.instances_user_has_permission_for(request.user, "view").order_by("title")


class OccurrenceFilterSet(WagtailFilterSet):
    event = django_filters.ModelChoiceFilter(label="Événement", queryset=_own_events)
    status = django_filters.ChoiceFilter(label="État", choices=Occurrence.Status.choices)

    class Meta:
        model = Occurrence
        fields = ["event", "status"]
