"""The back-office page of one date's registrations: the list, registering someone at the
desk or by phone, cancelling, marking who came, and the CSV export."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.text import slugify

from agenda import services
from agenda.forms import StaffRegistrationForm
from agenda.ical import import_connector
from agenda.models import TZ, Occurrence, Registration
from agenda.permissions import occurrence_policy, registration_policy
from connectors.ical.driver import MAX_FEED_BYTES
from connectors.models import RunStatus
from connectors.permissions import connector_policy
from metrobib.spreadsheets import csv_download

CSV_COLUMNS = [
    "Nom",
    "E-mail",
    "Téléphone",
    "Places",
    "État",
    "Inscription",
    "Inscrit le",
    "Présent",
]


def _occurrence_for(user, pk: int) -> Occurrence:
    """The date, if the user's library owns it (404 otherwise, as for every scoped screen)."""
    occurrence = (
        occurrence_policy.instances_user_has_permission_for(user, "view")
        .select_related("event__library")
        .filter(pk=pk)
        .first()
    )
    if occurrence is None:
        raise Http404
    return occurrence


def registrations(request, pk):
    occurrence = _occurrence_for(request.user, pk)
    if not registration_policy.user_has_permission(request.user, "view"):
        raise PermissionDenied
    if request.GET.get("format") == "csv":
        if not registration_policy.user_has_permission(request.user, "export"):
            raise PermissionDenied
        return _csv(occurrence)
    form = StaffRegistrationForm()
    if request.method == "POST":
        if not registration_policy.user_has_permission(request.user, "change"):
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "inscrire":
            form = StaffRegistrationForm(request.POST)
            if form.is_valid() and _register(request, occurrence, form):
                return redirect("agenda_registrations", occurrence.pk)
        elif action == "annuler":
            registration = occurrence.registrations.filter(
                pk=request.POST.get("registration")
            ).first()
            if registration is None:
                raise Http404
            services.cancel_registration(registration, actor=request.user)
            messages.success(request, f"Inscription de {registration.name} annulée.")
            return redirect("agenda_registrations", occurrence.pk)
        elif action == "presences":
            present = [int(v) for v in request.POST.getlist("present") if v.isdigit()]
            came = services.set_attendance(occurrence, present, actor=request.user)
            messages.success(
                request, f"Présences enregistrées : {came} inscription(s) présente(s)."
            )
            return redirect("agenda_registrations", occurrence.pk)
    occurrence.refresh_from_db()
    rows = list(occurrence.registrations.order_by("created_at", "pk"))
    context = {
        "occurrence": occurrence,
        "event": occurrence.event,
        "confirmed": [r for r in rows if r.status == Registration.Status.CONFIRMED],
        "waiting": [r for r in rows if r.status == Registration.Status.WAITING],
        "cancelled": [r for r in rows if r.status == Registration.Status.CANCELLED],
        "form": form,
        "can_change": registration_policy.user_has_permission(request.user, "change"),
    }
    return TemplateResponse(request, "agenda/admin/registrations.html", context)


def _register(request, occurrence, form) -> bool:
    try:
        registration = services.register_for_occurrence(
            occurrence.pk,
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            phone=form.cleaned_data["phone"],
            places=form.cleaned_data["places"],
            channel=form.cleaned_data["channel"],
            actor=request.user,
        )
    except services.RegistrationError as error:
        form.add_error(None, error.message)
        return False
    where = (
        "confirmée"
        if registration.status == Registration.Status.CONFIRMED
        else "en liste d'attente"
    )
    messages.success(request, f"{registration.name} : inscription {where}.")
    return True


def _csv(occurrence: Occurrence) -> HttpResponse:
    start = occurrence.starts_at.astimezone(TZ)
    filename = f"inscrits-{slugify(occurrence.event.title)}-{start:%Y-%m-%d-%Hh%M}.csv"
    response, writer = csv_download(filename)
    writer.writerow(CSV_COLUMNS)
    for r in occurrence.registrations.order_by("status", "created_at", "pk"):
        writer.writerow([
            r.name, r.email, r.phone, r.places, r.get_status_display(), r.get_channel_display(),
            r.created_at.astimezone(TZ).strftime("%d/%m/%Y %H:%M"),
            {True: "oui", False: "non", None: ""}[r.attended],
        ])  # fmt: skip
    return response


IMPORTS_SHOWN = 10


class CalendarUploadForm(forms.Form):
    file = forms.FileField(label="Fichier iCalendar (.ics)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FEED_BYTES:
            raise forms.ValidationError("Le fichier dépasse 16 Mo.")
        return upload


def calendar_import(request, pk):
    """An ``ical`` connector's page: import its feed now or a file, and the last imports
    with their counts and what was skipped."""
    connector = (
        connector_policy.instances_user_has_permission_for(request.user, "view")
        .filter(pk=pk, driver="ical")
        .first()
    )
    if connector is None:
        raise Http404
    may_import = connector_policy.user_has_permission_for_instance(
        request.user, "change", connector
    )
    upload = CalendarUploadForm()
    if request.method == "POST":
        if not may_import:
            raise PermissionDenied
        data = None
        if request.POST.get("action") == "upload":
            upload = CalendarUploadForm(request.POST, request.FILES)
            if not upload.is_valid():
                return _calendar_page(request, connector, upload, may_import)
            data = upload.cleaned_data["file"].read()
        run = import_connector(connector, data=data)
        if run.status == RunStatus.FAILED:
            messages.error(request, f"Import impossible : {run.error}")
        else:
            messages.success(
                request,
                f"Import terminé : {run.created} événement(s) créé(s), {run.updated} mis à jour, "
                f"{run.rejected} ignoré(s), {run.missing} retiré(s) du flux.",
            )
        return redirect("agenda_calendar_import", connector.pk)
    return _calendar_page(request, connector, upload, may_import)


def _calendar_page(request, connector, upload, may_import):
    context = {
        "connector": connector,
        "runs": connector.runs.all()[:IMPORTS_SHOWN],
        "events": connector.events.count(),
        "upload": upload,
        "may_import": may_import,
    }
    return TemplateResponse(request, "agenda/admin/calendar_import.html", context)
