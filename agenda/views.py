from dataclasses import replace
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Rss201rev2Feed
from django.views.decorators.http import require_http_methods

from accounts.links import LinkError
from agenda import ical, selectors, services
from agenda.filters import AgendaFilterForm, AgendaFilters
from agenda.forms import RegistrationForm
from agenda.jsonld import occurrence_jsonld
from agenda.models import TZ, Occurrence

PER_PAGE = 20
FEED_SIZE = 200


def current_time() -> datetime:
    """The moment the agenda is shown for; tests freeze the clock here."""
    return timezone.now()


def _filters(request) -> tuple[AgendaFilterForm, AgendaFilters]:
    form = AgendaFilterForm(request.GET or None)
    return form, form.to_filters()


def agenda(request):
    form, filters = _filters(request)
    now = current_time()
    if request.GET.get("vue") == "calendrier":
        return _calendar(request, form, filters, now)
    page = Paginator(selectors.list_occurrences(filters, now), PER_PAGE).get_page(
        request.GET.get("page")
    )
    first_day = filters.date_range(now)[0].astimezone(TZ).date()
    context = {"form": form, "filters": filters, "page": page, "days": _by_day(page, first_day)}
    context["feeds"] = _feed_links(filters)
    return render(request, "agenda/agenda.html", context)


def _calendar(request, form, filters, now):
    month = _month(request.GET.get("mois"), now)
    _, following = selectors.month_bounds(month)
    in_month = replace(filters, period="", start=month, end=following.date() - timedelta(days=1))
    occurrences = list(selectors.list_occurrences(in_month, now))
    weeks = selectors.month_grid(month, occurrences)
    context = {
        "form": form,
        "filters": filters,
        "month": month,
        "weeks": weeks,
        "spanning": selectors.spanning(occurrences),
        "today": now.astimezone(TZ).date(),
        "previous_month": _shift(month, -1),
        "next_month": _shift(month, 1),
        "feeds": _feed_links(filters),
    }
    return render(request, "agenda/calendar.html", context)


def _month(value: str | None, now: datetime) -> date:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return now.astimezone(TZ).date().replace(day=1)


def _shift(month: date, step: int) -> date:
    index = month.year * 12 + month.month - 1 + step
    return date(index // 12, index % 12 + 1, 1)


def _by_day(page, first_day: date) -> list[tuple[date, list[Occurrence]]]:
    days: list[tuple[date, list[Occurrence]]] = []
    for occurrence in page:
        # A date still running (an exhibition opened last week) is listed on the first
        # day shown, not under a day gone by; the list is in order of start, so it leads.
        day = max(occurrence.starts_at.astimezone(TZ).date(), first_day)
        if not days or days[-1][0] != day:
            days.append((day, []))
        days[-1][1].append(occurrence)
    return days


def _feed_links(filters: AgendaFilters) -> dict[str, str]:
    query = filters.querystring()
    suffix = f"?{query}" if query else ""
    return {
        "ics": reverse("agenda:feed_ics") + suffix,
        "rss": reverse("agenda:feed_rss") + suffix,
    }


@require_http_methods(["GET", "POST"])
def occurrence(request, pk, slug=""):
    occurrence = selectors.get_occurrence(pk)
    if slug != occurrence.event.slug:
        return redirect(occurrence.get_absolute_url(), permanent=True)
    event = occurrence.event
    now = current_time()
    form = None
    if event.registration_required and occurrence.capacity is not None:
        initial = {}
        if request.user.is_authenticated:
            initial = {"name": request.user.get_full_name(), "email": request.user.email}
        form = RegistrationForm(
            request.POST if request.method == "POST" else None,
            initial=initial,
            max_places=event.max_places_per_registration,
        )
        if request.method == "POST" and form.is_valid():
            try:
                registration = services.register_for_occurrence(
                    occurrence.pk, **form.cleaned_data, user=request.user, now=now
                )
            except services.RegistrationError as error:
                form.add_error(None, error.message)
            else:
                return redirect("agenda:registration", services.registration_token(registration))
    elif request.method == "POST":
        raise Http404
    url = request.build_absolute_uri(occurrence.get_absolute_url())
    image_url = ""
    if event.image_id:
        image_url = request.build_absolute_uri(event.image.get_rendition("width-1200").url)
    context = {
        "occurrence": occurrence,
        "event": event,
        "form": form,
        "open_for_registration": form is not None
        and not occurrence.is_cancelled
        and occurrence.starts_at > now,
        "other_dates": selectors.other_dates(occurrence, now),
        "jsonld": occurrence_jsonld(occurrence, url, image_url),
        "ics_url": reverse("agenda:occurrence_ics", args=[occurrence.pk]),
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "agenda/occurrence.html", context, status=status)


@require_http_methods(["GET", "POST"])
def registration(request, token):
    try:
        registration = services.registration_from_token(token, now=current_time())
    except LinkError as error:
        return render(
            request, "agenda/registration_invalid.html", {"message": error.message}, status=410
        )
    if request.method == "POST" and request.POST.get("action") == "annuler":
        services.cancel_registration(registration)
        messages.success(
            request, "Votre inscription est annulée. Merci d'avoir libéré votre place."
        )
        return redirect("agenda:registration", token)
    registration.refresh_from_db()
    context = {
        "registration": registration,
        "occurrence": registration.occurrence,
        "event": registration.occurrence.event,
        "ics_url": reverse("agenda:occurrence_ics", args=[registration.occurrence_id]),
    }
    return render(request, "agenda/registration.html", context)


def occurrence_ics(request, pk):
    occurrence = selectors.get_occurrence(pk)
    body = ical.occurrences_to_ical(
        [occurrence], name=occurrence.event.title, base_url=_base_url(request)
    )
    return _ics_response(body, f"{occurrence.event.slug}.ics")


def feed_ics(request):
    _, filters = _filters(request)
    occurrences = (
        selectors.list_occurrences(filters, current_time())
        .select_related("event__site__commune")
        .defer("event__site__commune__boundary")[:FEED_SIZE]
    )
    body = ical.occurrences_to_ical(
        occurrences, name="Agenda des bibliothèques — Métrobib", base_url=_base_url(request)
    )
    return _ics_response(body, "agenda-metrobib.ics", attachment=False)


def feed_rss(request):
    _, filters = _filters(request)
    occurrences = selectors.list_occurrences(filters, current_time())[:FEED_SIZE]
    base = _base_url(request)
    feed = Rss201rev2Feed(
        title="Agenda des bibliothèques — Métrobib",
        link=base + reverse("agenda:agenda"),
        description="Les animations des bibliothèques de la Métropole de Lyon.",
        language="fr",
    )
    for item in occurrences:
        event = item.event
        when = item.starts_at.astimezone(TZ)
        status = " (annulé)" if item.is_cancelled else ""
        feed.add_item(
            title=f"{event.title}{status} — {when:%d/%m/%Y %H:%M}",
            link=base + item.get_absolute_url(),
            description=event.summary,
            unique_id=base + item.get_absolute_url(),
            pubdate=event.created_at,
            categories=[event.get_category_display()],
        )
    return HttpResponse(
        feed.writeString("utf-8"), content_type="application/rss+xml; charset=utf-8"
    )


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/") if request else settings.SITE_URL


def _ics_response(body: bytes, filename: str, attachment: bool = True) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
