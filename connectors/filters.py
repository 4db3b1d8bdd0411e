"""Back-office filters: a library's staff choose among their own connectors only."""

import django_filters
from wagtail.admin.filters import WagtailFilterSet

from connectors.models import HarvestRun, RunStatus, SourceRecord


def _own_connectors(request):
    from connectors.permissions import connector_policy

    if request is None:
        from connectors.models import Connector

        return Connector.objects.none()
    return connector_policy.instances_user_has_permission_for(request.user, "view")


class QuarantineFilterSet(WagtailFilterSet):
    connector = django_filters.ModelChoiceFilter(label="Connecteur", queryset=_own_connectors)

    class Meta:
        model = SourceRecord
        fields = ["connector"]


class HarvestRunFilterSet(WagtailFilterSet):
    connector = django_filters.ModelChoiceFilter(label="Connecteur", queryset=_own_connectors)
    status = django_filters.ChoiceFilter(label="État", choices=RunStatus.choices)

    class Meta:
        model = HarvestRun
        fields = ["connector", "status"]
