"""Files staff open in a spreadsheet."""

import csv

from django.http import HttpResponse


def csv_download(filename: str):
    """A CSV attachment as French spreadsheets read it (UTF-8 with a BOM, so that accents
    open right; ``;`` between columns): the response and a writer into it."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    return response, csv.writer(response, delimiter=";")
