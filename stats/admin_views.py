"""Back-office pages: the digital library's usage dashboard (network administrators) with
a CSV export of each table, and the import of active members."""

import csv

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from stats import selectors, services
from stats.figures import french_decimal
from stats.forms import ActiveMembersUploadForm, DashboardFilterForm
from stats.permissions import active_members_policy
from stats.tasks import aggregate_usage_task

# The tables of the page, by the name their CSV export takes in the query string.
TABLES = {
    "mois": ("Mois", "by_month"),
    "ressources": ("Ressource", "by_resource"),
    "bibliotheques": ("Bibliothèque d'inscription", "by_library"),
    "communes": ("Commune de résidence", "by_commune"),
}
CSV_COLUMNS = ["Accès", "Utilisateurs distincts", "Utilisateurs avec une carte de bibliothèque"]
SHARE_COLUMNS = ["Inscrits actifs", "Part des inscrits actifs (%)"]


def forbidden(request, who: str) -> TemplateResponse:
    """A plain 403 (Wagtail would turn PermissionDenied into a redirect home)."""
    context = {"page_title": "Accès refusé", "who": who, "header_icon": "lock"}
    return TemplateResponse(request, "stats/admin/forbidden.html", context, status=403)


def usage_dashboard(request):
    if not request.user.is_network_admin:
        return forbidden(request, "aux administrateurs du réseau")
    form = DashboardFilterForm(request.GET or None, years=selectors.usage_years())
    year, month = form.period()
    if request.method == "POST":
        aggregate_usage_task.enqueue(year)
        messages.success(request, f"Recalcul des chiffres de {year} lancé.")
        return redirect(f"{reverse('stats_usage')}?annee={year}")
    dashboard = selectors.usage_dashboard(year, month)
    table = request.GET.get("tableau")
    if table is not None:
        return _csv(dashboard, table)
    context = {
        "form": form, "dashboard": dashboard, "page_title": "Usages de la bibliothèque numérique",
        "header_icon": "table", "query": request.GET.urlencode(),
    }  # fmt: skip
    return TemplateResponse(request, "stats/admin/dashboard.html", context)


def _csv(dashboard: selectors.Dashboard, table: str) -> HttpResponse:
    if table not in TABLES:
        raise Http404
    heading, attribute = TABLES[table]
    with_share = table == "bibliotheques"
    period = f"{dashboard.year}-{dashboard.month:02d}" if dashboard.month else dashboard.year
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="usages-{table}-{period}.csv"'
    response.write("\ufeff")  # so that a spreadsheet opens the accents right
    writer = csv.writer(response, delimiter=";")
    writer.writerow([heading, *CSV_COLUMNS, *(SHARE_COLUMNS if with_share else [])])
    total = dashboard.year_total if table == "mois" else dashboard.total
    lines = [*getattr(dashboard, attribute), total]
    for line in lines:
        row = [line.label, line.accesses, line.users, line.card_users]
        if with_share:
            row += [line.active_members or "", french_decimal(line.share)]
        writer.writerow(row)
    return response


def import_active_members(request):
    if not active_members_policy.user_has_permission(request.user, "add"):
        return forbidden(request, "aux administrateurs du réseau et des bibliothèques")
    form, errors = ActiveMembersUploadForm(), []
    if request.method == "POST":
        form = ActiveMembersUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = services.import_active_members(
                    form.cleaned_data["file"].read(), actor=request.user
                )
            except services.ActiveMembersImportError as error:
                errors = error.errors
            else:
                messages.success(
                    request,
                    f"Inscrits actifs importés : {result.created} ligne(s) ajoutée(s), "
                    f"{result.updated} mise(s) à jour.",
                )
                return redirect("inscrits-actifs:index")
    context = {
        "form": form, "errors": errors, "page_title": "Importer des inscrits actifs",
        "header_icon": "upload",
    }  # fmt: skip
    return TemplateResponse(request, "stats/admin/import_members.html", context)
