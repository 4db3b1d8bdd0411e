"""Back-office pages of the vendors' COUNTER statistics (network administrators only):
upload a report for a resource, the reports received (imported, replaced, rejected with
their reason), one report's counts per month and metric, and the SUSHI harvests."""

from collections import defaultdict

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from connectors.models import Connector
from digital.models import Resource
from stats.admin_views import forbidden
from stats.counter import vocabulary
from stats.counter.reading import FORMATS
from stats.imports import MAX_FILE_BYTES, CounterImportError, import_counter_file, reimport_report
from stats.models import CounterCount, CounterReport, SushiMonth, SushiSource
from stats.sushi import unblock_source

REPORTS_SHOWN = 200
MONTHS_SHOWN = 36


def _refused(request) -> TemplateResponse | None:
    """The 403 page for anyone but a network administrator (None for them)."""
    if getattr(request.user, "is_network_admin", False):
        return None
    return forbidden(request, "aux administrateurs du réseau")


class CounterUploadForm(forms.Form):
    resource = forms.ModelChoiceField(
        Resource.objects.order_by("name"), label="Ressource", empty_label="Choisir…"
    )
    file = forms.FileField(
        label="Rapport COUNTER",
        help_text="Version 5 ou 5.1, au format JSON, TSV, CSV ou Excel (.xlsx), tel que le "
        "fournisseur le donne. Un rapport déjà importé pour les mêmes mois est remplacé.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if suffix not in FORMATS:
            raise forms.ValidationError(
                "Format non pris en charge : déposez un fichier .json, .tsv, .csv ou .xlsx."
            )
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(f"Le fichier dépasse {MAX_FILE_BYTES // 2**20} Mo.")
        return upload


def reports(request):
    """The reports received, newest first, and the upload form."""
    if refusal := _refused(request):
        return refusal
    form = CounterUploadForm()
    if request.method == "POST":
        form = CounterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = import_counter_file(
                    form.cleaned_data["resource"], upload.read(), file_name=upload.name,
                    actor=request.user,
                )  # fmt: skip
            except CounterImportError as error:
                form.add_error("file", error.message)
            else:
                if report.status == CounterReport.Status.REJECTED:
                    messages.error(request, f"Rapport refusé, rien n'a changé : {report.error}")
                else:
                    messages.success(
                        request,
                        f"Rapport {report.report_code} (COUNTER {report.release}) importé : "
                        f"{report.rows} comptage(s) mensuel(s).",
                    )
                return redirect("stats_counter_report", report.pk)
    shown = CounterReport.objects.select_related("resource", "created_by", "connector").defer(
        "payload"
    )
    status = request.GET.get("etat", "")
    if status in CounterReport.Status.values:
        shown = shown.filter(status=status)
    context = {
        "form": form,
        "reports": shown[:REPORTS_SHOWN],
        "status": status,
        "statuses": CounterReport.Status.choices,
    }
    return TemplateResponse(request, "stats/counter/reports.html", context)


def report_detail(request, pk):
    """One report: header, exceptions, warnings or reason of refusal, counts per month."""
    if refusal := _refused(request):
        return refusal
    wanted = CounterReport.objects.select_related("resource", "created_by", "connector")
    if not request.GET.get("fichier"):
        wanted = wanted.defer("payload")  # up to 50 MB, read only to download or re-read it
    report = wanted.filter(pk=pk).first()
    if report is None:
        raise Http404
    if request.GET.get("fichier"):
        response = HttpResponse(bytes(report.payload), content_type="application/octet-stream")
        name = report.file_name or f"rapport-counter-{report.pk}.{report.file_format or 'json'}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    if request.method == "POST" and request.POST.get("action") == "reimporter":
        again = reimport_report(report, actor=request.user)
        if again.status == CounterReport.Status.REJECTED:
            messages.error(request, f"Rapport refusé, rien n'a changé : {again.error}")
        else:
            messages.success(request, "Rapport relu et importé de nouveau.")
        return redirect("stats_counter_report", again.pk)
    totals = (
        CounterCount.objects.filter(report=report)
        .values("month", "metric_type")
        .annotate(total=Sum("count"))
        .order_by("month", "metric_type")
    )
    table: dict = defaultdict(dict)
    metrics: list[str] = []
    for row in totals:
        table[row["month"]][row["metric_type"]] = row["total"]
        if row["metric_type"] not in metrics:
            metrics.append(row["metric_type"])
    metrics.sort(
        key=lambda m: list(vocabulary.METRIC_TYPES).index(m) if m in vocabulary.METRIC_TYPES else 99
    )
    context = {
        "report": report,
        "metrics": [(m, vocabulary.label("metric_type", m)) for m in metrics],
        "months": [(month, [table[month].get(m, "") for m in metrics]) for month in sorted(table)],
    }
    return TemplateResponse(request, "stats/counter/report.html", context)


class SushiSourceForm(forms.ModelForm):
    class Meta:
        model = SushiSource
        fields = ["connector", "resource", "reports", "first_month"]
        widgets = {"first_month": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connector"].queryset = Connector.objects.filter(driver="sushi").exclude(
            sushi_source__isnull=False
        )
        self.fields["resource"].queryset = Resource.objects.order_by("name")

    def clean_reports(self):
        reports = self.cleaned_data["reports"].upper().replace(",", " ").split()
        unknown = [r for r in reports if r[:2] not in ("PR", "DR", "TR", "IR")]
        if not reports or unknown:
            raise forms.ValidationError(
                "Indiquez des rapports COUNTER, par exemple « PR_P1 TR_B1 »."
            )
        return " ".join(dict.fromkeys(reports))

    def clean_first_month(self):
        return self.cleaned_data["first_month"].replace(day=1)


def sushi_sources(request):
    """Every resource harvested by SUSHI, with the state of its months; linking a SUSHI
    connector to a resource."""
    if refusal := _refused(request):
        return refusal
    form = SushiSourceForm()
    if request.method == "POST":
        form = SushiSourceForm(request.POST)
        if form.is_valid():
            source = form.save()
            messages.success(request, f"Moisson SUSHI de « {source.resource} » enregistrée.")
            return redirect("stats_sushi_source", source.pk)
    sources = list(SushiSource.objects.select_related("connector", "resource"))
    states = defaultdict(dict)
    for row in SushiMonth.objects.values("source_id", "state").annotate(n=Count("pk")):
        states[row["source_id"]][row["state"]] = row["n"]
    labels = dict(SushiMonth.State.choices)
    rows = [
        (source, [(labels[state], n) for state, n in sorted(states[source.pk].items())])
        for source in sources
    ]
    context = {"rows": rows, "form": form}
    return TemplateResponse(request, "stats/counter/sushi_sources.html", context)


def sushi_source(request, pk):
    """One SUSHI source: its months per report, the last runs; harvest now, resume."""
    if refusal := _refused(request):
        return refusal
    source = SushiSource.objects.select_related("connector", "resource").filter(pk=pk).first()
    if source is None:
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "reprendre":
            unblock_source(source, actor=request.user)
            messages.success(request, "La moisson reprendra à la prochaine exécution.")
        elif action == "moissonner":
            from stats.tasks import harvest_counter_task

            transaction.on_commit(lambda: harvest_counter_task.enqueue(source.pk))
            messages.success(request, "Moisson demandée : elle est faite en arrière-plan.")
        return redirect("stats_sushi_source", source.pk)
    months = (
        source.months.select_related("report")
        .defer("report__payload")
        .order_by("-month", "report_code")
    )
    context = {
        "source": source,
        "months": months[: MONTHS_SHOWN * max(1, len(source.report_ids()))],
        "runs": source.connector.runs.all()[:10],
    }
    return TemplateResponse(request, "stats/counter/sushi_source.html", context)
