"""Open data views: the OAI-PMH provider (``/oai``) and the exports of one edition
(``/catalogue/notice/<id>/export.ris|.bib|.marcxml``). The logic is in
:mod:`catalogue.oai` and :mod:`catalogue.exports`; these only read and answer."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from catalogue import exports, oai
from catalogue.models import Record

# format: (writer, content type, file extension)
EXPORTS = {
    "ris": (exports.ris, "application/x-research-info-systems; charset=utf-8", "ris"),
    "bib": (exports.bibtex, "application/x-bibtex; charset=utf-8", "bib"),
    "marcxml": (exports.marcxml, "application/marcxml+xml", "xml"),
}


@csrf_exempt  # harvesters POST form-encoded requests (OAI-PMH 3.1.1); nothing is written
@require_http_methods(["GET", "HEAD", "POST"])
def oai_pmh(request):
    data = request.POST if request.method == "POST" else request.GET
    body = oai.respond({name: data.getlist(name) for name in data})
    return HttpResponse(body, content_type="text/xml; charset=utf-8")


@require_http_methods(["GET", "HEAD"])
def record_export(request, pk: int, fmt: str):
    if fmt not in EXPORTS:
        raise Http404("Format d'export inconnu.")
    record = get_object_or_404(Record.objects.select_related("source"), pk=pk)
    write, content_type, extension = EXPORTS[fmt]
    try:
        body = write(record)
    except exports.NoMarcRecord as error:
        raise Http404(str(error)) from None
    response = HttpResponse(body, content_type=content_type)
    name = exports.bibtex_key(record)
    response["Content-Disposition"] = f'attachment; filename="{name}-{record.pk}.{extension}"'
    return response
