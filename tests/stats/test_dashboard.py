"""The dashboard's figures on a known year, its page and its CSV export."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from digital.models import UsageEvent
from stats.aggregation import aggregate_usage
from stats.figures import french_integer, french_percent, share_of_members
from stats.models import ActiveMembers
from stats.selectors import usage_dashboard
from tests.stats.conftest import YEAR, at, pseudonym

NBSP = "\u00a0"


def by_label(lines):
    return {line.label: (line.accesses, line.users, line.card_users) for line in lines}


def test_the_source_documents_share_is_recomputed_not_copied():
    # 1,430 users of 44,500 active members: 3.213…, which the document printed « 3,1 % ».
    assert share_of_members(1430, 44500) == Decimal("3.2")
    assert french_percent(share_of_members(1430, 44500)) == f"3,2{NBSP}%"


def test_share_rounds_half_up_and_is_unknown_without_members():
    assert share_of_members(1, 40) == Decimal("2.5")
    assert share_of_members(1, 60) == Decimal("1.7")
    assert share_of_members(5, 0) is None
    assert share_of_members(5, None) is None
    assert french_percent(None) == "—"
    assert french_integer(10681) == "10\u202f681"


def test_year_figures_of_the_known_year(known_year):
    aggregate_usage(YEAR)
    dashboard = usage_dashboard(YEAR)
    # A, B, C and the anonymous access; C's access on 1 January belongs to next year.
    assert (dashboard.total.accesses, dashboard.total.users, dashboard.total.card_users) == (
        7, 3, 2
    )  # fmt: skip
    assert by_label(dashboard.by_resource) == {
        "Presse en ligne": (5, 2, 2),
        "Films à la demande": (2, 2, 1),
    }
    libraries = by_label(dashboard.by_library)
    assert libraries["Bibliothèques de Bron"] == (4, 1, 1)
    assert libraries["Bibliothèques de Vénissieux"] == (2, 2, 1)
    assert libraries["Non renseignée"] == (1, 0, 0)
    communes = by_label(dashboard.by_commune)
    assert communes["Bron"] == (5, 2, 2)
    assert communes["Vénissieux"] == (1, 1, 0)
    assert communes["Non renseignée"] == (1, 0, 0)


def test_distinct_users_of_the_year_are_not_the_sum_of_the_months(known_year):
    aggregate_usage(YEAR)
    dashboard = usage_dashboard(YEAR)
    months = {line.key: (line.accesses, line.users, line.card_users) for line in dashboard.by_month}
    assert months[1] == (4, 2, 1)  # A twice and B; the anonymous access is no user
    assert months[3] == (2, 1, 1)  # A, two resources: one user
    assert months[12] == (1, 1, 1)  # C at 23:30 on 31 December, Paris time
    assert months[2] == (0, 0, 0)
    assert sum(line.users for line in dashboard.by_month) == 4
    assert dashboard.year_total.users == 3


def test_a_month_shows_that_months_users(known_year):
    aggregate_usage(YEAR)
    march = usage_dashboard(YEAR, 3)
    assert (march.total.accesses, march.total.users) == (2, 1)
    assert by_label(march.by_resource) == {
        "Presse en ligne": (1, 1, 1),
        "Films à la demande": (1, 1, 1),
    }
    assert march.year_total.users == 3
    assert march.period == "mars 2025"


def test_share_of_active_members_counts_library_card_users_only(known_year):
    aggregate_usage(YEAR)
    dashboard = usage_dashboard(YEAR)
    # A and C used a library card (B a metropolitan card): 2 of 40 + 60 members.
    assert dashboard.total.active_members == 100
    assert dashboard.total.share == Decimal("2.0")
    shares = {line.label: line.share for line in dashboard.by_library}
    assert shares["Bibliothèques de Bron"] == Decimal("2.5")  # 1 of 40
    assert shares["Bibliothèques de Vénissieux"] == Decimal("1.7")  # 1 of 60


def test_share_of_the_source_document_from_events(cast, resources):
    press, _ = resources
    UsageEvent.objects.bulk_create(
        UsageEvent(
            resource=press, at=at(1 + n % 12, 1 + n % 28), patron_hash=pseudonym(f"{n:05d}"),
            home_library=cast.library_a, card_kind=UsageEvent.CardKind.LIBRARY,
        )
        for n in range(1430)
    )  # fmt: skip
    ActiveMembers.objects.create(library=cast.library_a, year=YEAR, count=30000)
    ActiveMembers.objects.create(library=cast.library_b, year=YEAR, count=14500)
    aggregate_usage(YEAR)
    total = usage_dashboard(YEAR).total
    assert (total.users, total.active_members) == (1430, 44500)
    assert french_percent(total.share) == f"3,2{NBSP}%"


def test_network_admin_sees_the_dashboard_in_french(client, known_year):
    aggregate_usage(YEAR)
    client.force_login(known_year.network_admin)
    response = client.get(reverse("stats_usage"), {"annee": YEAR})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Usages de la bibliothèque numérique" in page
    assert '<th scope="row">Presse en ligne</th>' in page
    assert f"2,5{NBSP}%" in page  # library A's share
    assert "<caption" in page


def test_the_month_filter_is_a_get_form(client, known_year):
    aggregate_usage(YEAR)
    client.force_login(known_year.network_admin)
    response = client.get(reverse("stats_usage"), {"annee": YEAR, "mois": 3})
    assert response.status_code == 200
    assert response.context["dashboard"].period == "mars 2025"
    assert 'method="get"' in response.content.decode()


@pytest.mark.parametrize("who", ["editor_a", "admin_a"])
def test_library_staff_cannot_see_the_dashboard(client, known_year, who):
    client.force_login(getattr(known_year, who))
    assert client.get(reverse("stats_usage")).status_code == 403
    assert client.get(reverse("stats_usage"), {"tableau": "ressources"}).status_code == 403


def test_recalculating_from_the_page_runs_the_job(
    client, known_year, django_capture_on_commit_callbacks
):
    client.force_login(known_year.network_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{reverse('stats_usage')}?annee={YEAR}")
    assert response.status_code == 302
    assert usage_dashboard(YEAR).total.accesses == 7


def test_csv_export_of_the_libraries_table(client, known_year):
    aggregate_usage(YEAR)
    client.force_login(known_year.network_admin)
    response = client.get(reverse("stats_usage"), {"annee": YEAR, "tableau": "bibliotheques"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="usages-bibliotheques-2025.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0] == [
        "Bibliothèque d'inscription", "Accès", "Utilisateurs distincts",
        "Utilisateurs avec une carte de bibliothèque", "Inscrits actifs",
        "Part des inscrits actifs (%)",
    ]  # fmt: skip
    assert ["Bibliothèques de Bron", "4", "1", "1", "40", "2,5"] in rows
    assert ["Non renseignée", "1", "0", "0", "", ""] in rows
    assert rows[-1] == ["Réseau", "7", "3", "2", "100", "2,0"]


def test_csv_export_of_the_months_ends_with_the_years_distinct_users(client, known_year):
    aggregate_usage(YEAR)
    client.force_login(known_year.network_admin)
    response = client.get(reverse("stats_usage"), {"annee": YEAR, "mois": 3, "tableau": "mois"})
    rows = list(csv.reader(io.StringIO(response.content.decode()[1:]), delimiter=";"))
    assert rows[0][-2:] == ["Inscrits actifs", "Part des inscrits actifs (%)"]  # as the page
    assert rows[1][:4] == ["janvier 2025", "4", "2", "1"]
    assert rows[-1][:4] == ["Année 2025", "7", "3", "2"]
    assert len(rows) == 14


def test_unknown_table_is_not_found(client, known_year):
    client.force_login(known_year.network_admin)
    response = client.get(reverse("stats_usage"), {"tableau": "personnes"})
    assert response.status_code == 404


def test_vendor_figures_show_beside_the_portals(client, known_year, resources):
    from datetime import date

    from stats.models import CounterCount, CounterReport

    press, _ = resources
    report = CounterReport.objects.create(
        resource=press, status="imported", report_code="PR", release="5.1", source="upload",
        payload=b"",
    )  # fmt: skip
    for month, count in [(1, 120), (3, 45)]:
        CounterCount.objects.create(
            report=report, resource=press, report_code="PR", release="5.1",
            month=date(YEAR, month, 1), metric_type="Total_Item_Requests", count=count,
        )  # fmt: skip
    aggregate_usage(YEAR)
    vendor = {line.label: line.vendor for line in usage_dashboard(YEAR).by_resource}
    assert vendor == {"Presse en ligne": 165, "Films à la demande": None}
    march = {line.label: line.vendor for line in usage_dashboard(YEAR, 3).by_resource}
    assert march["Presse en ligne"] == 45
    client.force_login(known_year.network_admin)
    page = client.get(reverse("stats_usage"), {"annee": YEAR}).content.decode()
    assert "Consultations selon le fournisseur (COUNTER, Total_Item_Requests)" in page
    response = client.get(reverse("stats_usage"), {"annee": YEAR, "tableau": "ressources"})
    rows = list(csv.reader(io.StringIO(response.content.decode()[1:]), delimiter=";"))
    assert rows[0][-1] == "Consultations selon le fournisseur (COUNTER, Total_Item_Requests)"
    assert {row[0]: row[-1] for row in rows[1:-1]} == {
        "Presse en ligne": "165", "Films à la demande": "",
    }  # fmt: skip
