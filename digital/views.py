from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from digital import access, cas, methods
from digital.filters import ResourceFilterForm
from digital.models import Resource
from digital.usage import record_access


def _published():
    return access.with_offer(Resource.objects.filter(published=True))


def _allow_handover(response, resources):
    """The "Accéder" forms post to the portal, which redirects to the vendor: browsers
    hold that redirect to the page's ``form-action`` policy, so it names their origins."""
    origins = sorted({methods.origin(r.url) for r in resources} - {""})
    if origins:
        response._csp_update = {"form-action": origins}
    return response


def refused(request, resource, decision):
    """The resource's page saying why not (403): the "Accéder" button, CAS and OpenID
    Connect refuse alike."""
    context = {"resource": resource, "decision": decision}
    return render(request, "digital/resource.html", context, status=403)


def resource_list(request):
    form = ResourceFilterForm(request.GET or None)
    wanted = form.cleaned()
    resources = _published().select_related("logo")
    if wanted.get("type"):
        resources = resources.filter(kind=wanted["type"])
    if wanted.get("public"):
        resources = resources.filter(audience=wanted["public"])
    if wanted.get("libre"):
        resources = resources.filter(is_free=True)
    visitor = access.visitor_of(request)
    rows = [(r, access.decide(visitor, access.terms_of(r))) for r in resources]
    if wanted.get("ma_carte"):
        rows = [(r, decision) for r, decision in rows if decision.allowed]
    context = {"form": form, "rows": rows, "visitor": visitor, "filtered": any(wanted.values())}
    response = render(request, "digital/resource_list.html", context)
    return _allow_handover(response, [r for r, decision in rows if decision.allowed])


def resource(request, slug):
    item = get_object_or_404(_published().select_related("logo", "proposed_by"), slug=slug)
    decision = access.decide(access.visitor_of(request), access.terms_of(item))
    response = render(request, "digital/resource.html", {"resource": item, "decision": decision})
    return _allow_handover(response, [item] if decision.allowed else [])


@require_POST
def open_resource(request, slug):
    """The "Accéder" button: check, record the access, hand over to the vendor."""
    item = get_object_or_404(_published(), slug=slug)
    visitor = access.visitor_of(request)
    decision = access.decide(visitor, access.terms_of(item))
    if not decision:
        return refused(request, item, decision)
    target = methods.destination(item, user=request.user)
    if not methods.hands_over_identity(item):
        record_access(item, visitor, user=request.user)
    response = HttpResponseRedirect(target)
    response.status_code = 303  # a POST answered by a GET elsewhere
    return response


TRUE = ("true", "1")


def _refused_service(request):
    return render(request, "digital/sso_refused.html", status=403)


@never_cache
@require_GET
def cas_login(request):
    """``/cas/login`` (CAS 3.0 §2.1): a ticket for a registered service, after the
    portal's own login and the same access check as the "Accéder" button."""
    service = request.GET.get("service", "")
    if not service:
        if request.user.is_authenticated:
            return redirect("digital:resources")
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
    resource = cas.registered_resource(service)
    if resource is None:
        return _refused_service(request)
    fresh = request.user.is_authenticated and cas.freshly_logged_in(request.user)
    renew = request.GET.get("renew") in TRUE
    if renew and request.user.is_authenticated and not fresh:
        logout(request)  # renew: the patron presents their card and PIN again
    if not request.user.is_authenticated:
        if request.GET.get("gateway") in TRUE and not renew:
            return HttpResponseRedirect(service)
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
    visitor = access.visitor_of(request)
    decision = access.decide(visitor, access.terms_of(resource))
    if not decision:
        return refused(request, resource, decision)
    ticket = cas.issue_ticket(resource, request.user, service, from_new_login=fresh)
    record_access(resource, visitor, user=request.user)
    return HttpResponseRedirect(methods.with_parameter(service, "ticket", ticket.ticket))


def _validated(request):
    return cas.validate(
        request.GET.get("ticket", ""),
        request.GET.get("service", ""),
        renew=request.GET.get("renew") in TRUE,
    )


@never_cache
@require_GET
def cas_service_validate(request, *, with_attributes: bool):
    """``/cas/serviceValidate`` (CAS 2.0 answer) and ``/cas/p3/serviceValidate`` (with
    attributes), as XML; ``/proxyValidate`` answers the same for service tickets."""
    try:
        record = _validated(request)
    except cas.CasError as error:
        body = cas.failure_xml(error)
    else:
        if with_attributes:
            shared = methods.vendor_attributes(record.resource, record.user)
            user = shared.pop("id")
            body = cas.success_xml(user, {**cas.protocol_attributes(record), **shared})
        else:  # CAS 2.0: the user only
            body = cas.success_xml(methods.vendor_pseudonym(record.resource, record.user.pk))
    return HttpResponse(body, content_type="application/xml; charset=utf-8")


@never_cache
@require_GET
def cas_validate(request):
    """``/cas/validate`` (CAS 1.0, §2.4): "yes" and the user, or "no"."""
    try:
        record = _validated(request)
    except cas.CasError:
        return HttpResponse("no\n\n", content_type="text/plain; charset=utf-8")
    user = methods.vendor_pseudonym(record.resource, record.user.pk)
    return HttpResponse(f"yes\n{user}\n", content_type="text/plain; charset=utf-8")


@never_cache
@require_GET
def cas_logout(request):
    """``/cas/logout`` (§2.3): ends the patron's portal session; back to ``service`` only
    when it is a registered one."""
    logout(request)
    service = request.GET.get("service", "")
    if service and cas.registered_resource(service) is not None:
        return HttpResponseRedirect(service)
    return render(request, "digital/sso_logged_out.html")
