from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from digital import access, methods
from digital.filters import ResourceFilterForm
from digital.models import Resource
from digital.usage import record_access


def _published():
    return Resource.objects.filter(published=True).prefetch_related("communes", "libraries")


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
    return render(request, "digital/resource_list.html", context)


def resource(request, slug):
    item = get_object_or_404(_published().select_related("logo"), slug=slug)
    decision = access.decide(access.visitor_of(request), access.terms_of(item))
    return render(request, "digital/resource.html", {"resource": item, "decision": decision})


@require_POST
def open_resource(request, slug):
    """The "Accéder" button: check, record the access, hand over to the vendor."""
    item = get_object_or_404(_published(), slug=slug)
    visitor = access.visitor_of(request)
    decision = access.decide(visitor, access.terms_of(item))
    if not decision:
        context = {"resource": item, "decision": decision}
        return render(request, "digital/resource.html", context, status=403)
    target = methods.destination(item, user=request.user)
    record_access(item, visitor, user=request.user)
    response = HttpResponseRedirect(target)
    response.status_code = 303  # a POST answered by a GET elsewhere
    return response
