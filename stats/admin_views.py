"""Back-office pages: the digital library's usage dashboard (network administrators) with
a CSV export of each table, and the import of active members."""

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from metrobib.spreadsheets import csv_download
from stats import selectors, services
from stats.figures import french_decimal
from stats.forms import ActiveMembersUploadForm, DashboardFilterForm
from stats.permissions import active_members_policy
from stats.tasks import aggregate_usage_task


@dataclass(frozen=True)
class Table:
    """One table of the page and of its CSV export (its ``name`` in the query string)."""

    name: str
    title: str
    heading: str
    lines: str  # the Dashboard attribute
    with_share: bool = False  # active members and the share of them
    with_vendor: bool = False  # what vendors report (COUNTER), when imported


TABLES = {
    t.name: t
    for t in (
        Table("mois", "Par mois", "Mois", "by_month", with_share=True),
        Table("ressources", "Par ressource", "Ressource", "by_resource", with_vendor=True),
        Table("bibliotheques", "Par bibliothèque d'inscription", "Bibliothèque d'inscription",
              "by_library", with_share=True),
        Table("communes", "Par commune de résidence", "Commune de résidence", "by_commune"),
    )
}  # fmt: skip
CSV_COLUMNS = ["Accès", "Utilisateurs distincts", "Utilisateurs avec une carte de bibliothèque"]
SHARE_COLUMNS = ["Inscrits actifs", "Part des inscrits actifs (%)"]
VENDOR_COLUMN = "Consultations selon le fournisseur (COUNTER, Total_Item_Requests)"


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
        "tables": [_shown(dashboard, table) for table in TABLES.values()],
    }  # fmt: skip
    return TemplateResponse(request, "stats/admin/dashboard.html", context)


def _shown(dashboard: selectors.Dashboard, table: Table) -> dict:
    """What the page and the CSV show of ``table``: its lines, its total line, and its
    columns (the vendor's only when COUNTER reports were imported)."""
    return {
        "name": table.name, "title": table.title, "heading": table.heading,
        "lines": getattr(dashboard, table.lines),
        "total": dashboard.year_total if table.name == "mois" else dashboard.total,
        "with_share": table.with_share,
        "with_vendor": table.with_vendor and bool(dashboard.vendor_counts),
    }  # fmt: skip


def _csv(dashboard: selectors.Dashboard, name: str) -> HttpResponse:
    """The table as the page shows it, columns included."""
    if name not in TABLES:
        raise Http404
    shown = _shown(dashboard, TABLES[name])
    period = f"{dashboard.year}-{dashboard.month:02d}" if dashboard.month else dashboard.year
    response, writer = csv_download(f"usages-{name}-{period}.csv")
    writer.writerow([
        shown["heading"], *CSV_COLUMNS, *(SHARE_COLUMNS if shown["with_share"] else []),
        *([VENDOR_COLUMN] if shown["with_vendor"] else []),
    ])  # fmt: skip
    for line in [*shown["lines"], shown["total"]]:
        row = [line.label, line.accesses, line.users, line.card_users]
        if shown["with_share"]:
            row += [line.active_members or "", french_decimal(line.share)]
        if shown["with_vendor"]:
            row.append("" if line.vendor is None else line.vendor)
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
