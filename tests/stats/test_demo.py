"""Demo usage for `make run`: seeded, replaced at each load, real accesses kept."""

from datetime import date

from digital.demo import load_demo_resources
from digital.models import Resource, UsageEvent
from stats.demo import load_demo_usage
from stats.models import ActiveMembers, UsageFigure
from stats.selectors import usage_dashboard
from tests.stats.conftest import access, at

TODAY = date(2026, 6, 15)


def test_demo_usage_is_the_same_at_each_load_and_keeps_real_accesses(cast):
    load_demo_resources()
    real = access(Resource.objects.first(), at(5, 5), patron="r", library=cast.library_a)
    first = load_demo_usage(TODAY)
    hashes = sorted(UsageEvent.objects.values_list("patron_hash", flat=True))
    second = load_demo_usage(TODAY)
    assert first["events"] == second["events"] > 100
    assert sorted(UsageEvent.objects.values_list("patron_hash", flat=True)) == hashes
    assert UsageEvent.objects.filter(pk=real.pk).exists()
    assert not UsageEvent.objects.filter(at__date__gte=TODAY).exists()
    assert ActiveMembers.objects.filter(year__in=[2025, 2026]).count() == 4  # 2 libraries
    assert second["members"] == 0  # what is there is kept
    assert UsageFigure.objects.filter(year=2025).exists()
    dashboard = usage_dashboard(2025)
    assert dashboard.total.users > 0 and dashboard.total.share is not None


def test_the_dashboard_page_costs_a_few_queries(client, cast, django_assert_max_num_queries):
    load_demo_resources()
    load_demo_usage(TODAY)
    client.force_login(cast.network_admin)
    client.get("/admin/statistiques/usages/", {"annee": 2025})  # caches warmed
    with django_assert_max_num_queries(20):
        response = client.get("/admin/statistiques/usages/", {"annee": 2025})
    assert response.status_code == 200
