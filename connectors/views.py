"""Back-office pages that are not lists: a connector's harvest page, a patron list's
import page, the raw record download from the quarantine, and the network's catalogue
monitoring."""

from django.contrib import messages
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from catalogue.models import Record
from connectors.forms import PatronFileForm, UploadForm
from connectors.models import ACTIVE_STATUSES, Connector, HarvestRun, RunStatus
from connectors.patron_file.importer import PatronFileError, import_patron_file
from connectors.permissions import connector_policy, quarantine_policy
from connectors.services import (
    HarvestError,
    can_harvest_on_its_own,
    harvest_upload,
    request_harvest,
)
from network.models import Library


@require_http_methods(["GET", "POST"])
def harvest_page(request, pk):
    connector = (
        connector_policy.instances_user_has_permission_for(request.user, "view")
        .filter(pk=pk)
        .first()
    )
    if connector is None:
        raise Http404
    if connector.driver == "patron_file":
        return redirect("connectors_patron_file", pk=connector.pk)
    may_harvest = connector_policy.user_has_permission_for_instance(
        request.user, "change", connector
    )
    harvests = connector.driver_class.supports("harvest")
    takes_files = harvests and connector.driver_class.takes_uploads
    can_harvest_now = can_harvest_on_its_own(connector)
    upload = UploadForm()
    if request.method == "POST":
        if not may_harvest:
            raise PermissionDenied
        if request.POST.get("action") == "upload" and takes_files:
            upload = UploadForm(request.POST, request.FILES)
            if upload.is_valid():
                data = upload.cleaned_data
                _queue(request, harvest_upload, connector, data["file"], complete=data["complete"])
                return redirect("connectors_harvest", pk=connector.pk)
        elif request.POST.get("action") == "harvest" and can_harvest_now:
            _queue(request, request_harvest, connector, full=request.POST.get("full") == "1")
            return redirect("connectors_harvest", pk=connector.pk)
    runs = connector.runs.all()[:20]
    return TemplateResponse(
        request,
        "connectors/admin/harvest_page.html",
        {
            "page_title": "Moissons" if harvests else "Disponibilité en direct",
            "harvests": harvests,
            "offers_availability": connector.driver_class.supports("availability"),
            "page_subtitle": connector.name,
            "header_icon": "history",
            "connector": connector,
            "runs": runs,
            "active": connector.runs.filter(status__in=ACTIVE_STATUSES).first(),
            "may_harvest": may_harvest,
            "can_harvest_now": can_harvest_now,
            "takes_files": takes_files,
            "upload": upload,
            "records": Record.objects.filter(source__connector=connector).count(),
            "quarantined": connector.source_records.exclude(rejected_reason="").count(),
        },
    )


PATRON_IMPORTS_SHOWN = 10


@require_http_methods(["GET", "POST"])
def patron_file_page(request, pk):
    """A ``patron_file`` connector's patron list: upload a new one, see the last imports
    and their rejected rows. Personal data: for those who may change the connector (the
    library's administrators, the network's), not for editors."""
    connector = (
        connector_policy.instances_user_has_permission_for(request.user, "view")
        .filter(pk=pk, driver="patron_file")
        .select_related("library")
        .first()
    )
    if connector is None:
        raise Http404
    if not connector_policy.user_has_permission_for_instance(request.user, "change", connector):
        raise PermissionDenied
    form = PatronFileForm()
    if request.method == "POST":
        form = PatronFileForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                record = import_patron_file(
                    connector, upload.read(), file_name=upload.name, actor=request.user
                )
            except PatronFileError as error:
                form.add_error("file", error.message)
            else:
                messages.success(request, _import_message(record))
                return redirect("connectors_patron_file", pk=connector.pk)
    patrons = connector.file_patrons
    return TemplateResponse(
        request,
        "connectors/admin/patron_file_page.html",
        {
            "page_title": "Liste des lecteurs",
            "page_subtitle": connector.name,
            "header_icon": "group",
            "connector": connector,
            "form": form,
            "imports": connector.patron_imports.select_related("imported_by")[
                :PATRON_IMPORTS_SHOWN
            ],
            "active": patrons.filter(active=True).count(),
            "inactive": patrons.filter(active=False).count(),
            "with_password": patrons.filter(active=True)
            .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
            .count(),
        },
        status=400 if form.errors else 200,
    )


def _import_message(record) -> str:
    message = (
        f"Liste importée : {record.read} ligne{'s' if record.read > 1 else ''} lue"
        f"{'s' if record.read > 1 else ''}, {record.created} lecteur(s) ajouté(s), "
        f"{record.updated} modifié(s), {record.deactivated} absent(s) de la liste désactivé(s)."
    )
    if record.rejected:
        message += f" {record.rejected} ligne(s) rejetée(s) : voir le détail ci-dessous."
    return message


def _queue(request, service, *args, **options):
    try:
        service(*args, actor=request.user, **options)
    except HarvestError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Moisson demandée : elle commence dans quelques instants.")


def download_record(request, pk):
    record = (
        quarantine_policy.instances_user_has_permission_for(request.user, "view")
        .filter(pk=pk)
        .first()
    )
    if record is None:
        raise Http404
    content_type = "application/marc" if record.format == "iso2709" else "application/xml"
    response = HttpResponse(bytes(record.payload), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{record.file_name()}"'
    return response


def monitoring(request):
    """Network coordinators: every library's catalogue size, last successful harvest, and
    connectors failing now."""
    if not request.user.is_network_admin:
        raise PermissionDenied

    def per_library(queryset, aggregate):
        # Subqueries, not joins: joining records × runs would multiply the rows.
        return Subquery(
            queryset.order_by().values("library_id").annotate(value=aggregate).values("value")[:1]
        )

    connectors = Connector.objects.filter(library=OuterRef("pk"))
    records = Record.objects.filter(library=OuterRef("pk"))
    failing = connectors.filter(consecutive_failures__gt=0)
    libraries = Library.objects.annotate(
        record_count=Coalesce(per_library(records, Count("pk")), 0),
        connector_count=Coalesce(per_library(connectors, Count("pk")), 0),
        failing=Coalesce(per_library(failing, Count("pk")), 0),
        last_success=Subquery(
            HarvestRun.objects.filter(connector__library=OuterRef("pk"), status=RunStatus.COMPLETED)
            .order_by("-finished_at").values("finished_at")[:1]
        ),
    ).order_by("-connector_count", "name")  # fmt: skip
    recent_failures = (
        HarvestRun.objects.filter(status=RunStatus.FAILED)
        .select_related("connector__library")
        .order_by("-finished_at")[:10]
    )
    return TemplateResponse(
        request,
        "connectors/admin/monitoring.html",
        {
            "page_title": "Suivi des catalogues",
            "header_icon": "table",
            "libraries": libraries,
            "connected": Connector.objects.values("library").distinct().count(),
            "recent_failures": recent_failures,
        },
    )
