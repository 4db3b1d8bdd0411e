"""The catalogue's long lists, written in Python: facet values are the search page's most
repeated markup (up to 20 values in each of nine facets), and a template loop over them
cost more than the search itself (bench/search.py); the result lines are next (a template
loop over 20 of them took a fifth of the page's Python); a work's editions, the work
page's."""

import html

from django import template
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()
_MARK = 918_273_645  # a work id that stands for any in a reversed URL


def _escaped(value) -> str:
    """``conditional_escape`` without its wrapping: the page writes some 200 of these."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def _count(value: dict, exact: bool) -> tuple[str, str]:
    sign = "≈ " if not exact and value["count"] else ""
    plural = "s" if value["count"] > 1 else ""
    applied = ", filtre appliqué : retirer" if value["selected"] else ""
    return f"{sign}{value['count']}", f" œuvre{plural}{applied}"


@register.simple_tag
def facet_items(values: list[dict], exact: bool) -> SafeString:
    """The ``<li>`` of each facet value: a link that adds or removes it, with its count.
    Every value is escaped here (as ``format_html`` would, at a fraction of its cost)."""
    rows = []
    for value in values:
        shown, spoken = _count(value, exact)
        url, label = _escaped(value["url"]), _escaped(value["label"])
        shown, spoken = html.escape(shown), html.escape(spoken)
        if value["selected"]:
            rows.append(
                f'<li><a href="{url}" aria-current="true" class="selected">'
                f'<span aria-hidden="true">✓ </span>{label} <span class="count">({shown}'
                f'<span class="visually-hidden">{spoken}</span>)</span></a></li>'
            )
        else:
            rows.append(
                f'<li><a href="{url}">{label} <span class="count">({shown}'
                f'<span class="visually-hidden">{spoken}</span>)</span></a></li>'
            )
    return SafeString("".join(rows))


@register.simple_tag
def applied_filters(facets: list[dict]) -> str:
    """The applied filters as removable tags."""
    chosen = [
        (value["url"], value["label"])
        for group in facets
        for value in (*group["shown"], *group["more"])
        if value["selected"]
    ]
    return format_html_join(
        "",
        '<li><a href="{}">{} <span aria-hidden="true">×</span>'
        '<span class="visually-hidden"> — retirer ce filtre</span></a></li>',
        chosen,
    )


@register.simple_tag
def result_items(rows) -> SafeString:
    """The ``<li>`` of each result line (:class:`catalogue.selectors.ResultRow`)."""
    items = []
    # One reversal for the page (20 µs each): the work's id is put in its place.
    before, _mark, after = reverse("catalogue:work", args=[_MARK]).partition(str(_MARK))
    for row in rows:
        url = _escaped(f"{before}{row.work_id}{after}")
        shown = [value for value in (row.main_author, row.year) if value] + [row.type_label]
        # Spaces between the spans, as the template had: without CSS, and for a screen
        # reader, "Austen, Jane 1946 Livre" and not "Austen, Jane1946Livre".
        meta = " ".join(f"<span>{_escaped(value)}</span>" for value in shown)
        libraries = f"{row.library_count} bibliothèque{pluralize(row.library_count)}"
        if row.available_count:
            shelf = (
                f'<span class="status status-open">{row.available_count} '
                f"exemplaire{pluralize(row.available_count)} en rayon</span>"
            )
        else:
            shelf = '<span class="status status-unknown">Aucun exemplaire signalé en rayon</span>'
        items.append(
            f'<li class="result"><h3 class="result-title"><a href="{url}">{_escaped(row.title)}'
            f'</a></h3><p class="result-meta">{meta}</p>'
            f'<p class="result-holdings"><span>{libraries}</span> {shelf}</p></li>'
        )
    return SafeString("".join(items))


_FORMAT = "format-mark"  # a format that stands for any in a reversed URL


@register.simple_tag
def edition_rows(editions) -> SafeString:
    """The ``<tr>`` of each edition (:class:`catalogue.selectors.Edition`): its record's
    title, type, year, publisher, ISBN or ISSN, the libraries that have it and its
    exports. As a template (an ``include`` and three reversals a row) they cost 0.15 ms
    more a work page (2.6 editions on average, bench/search.py)."""
    export_url = reverse("catalogue:record_export", args=[_MARK, _FORMAT])
    rows = []
    for edition in editions:
        record = edition.record
        title = _escaped(record.title)
        heading = f"{title}, {_escaped(record.part)}" if record.part else title
        numbers = ", ".join(record.isbns) or ", ".join(record.issns) or "—"
        spoken = f"{title}, {_escaped(record.year or 'sans date')}"
        exports = "\n    ".join(
            f'<a href="{_escaped(_export(export_url, record.pk, fmt))}">{label}'
            f'<span class="visually-hidden"> : {spoken}</span></a>'
            if fmt != "marcxml" or record.source.format != "oai_dc"
            else ""  # Dublin Core has no MARC to export
            for fmt, label in (("ris", "RIS"), ("bib", "BibTeX"), ("marcxml", "MARCXML"))
        )
        rows.append(
            f'<tr>\n  <th scope="row">{heading}</th>\n'
            f"  <td>{_escaped(edition.type_label)}</td>\n"
            f"  <td>{_escaped(record.year or '—')}</td>\n"
            f"  <td>{_escaped(record.publisher or '—')}</td>\n"
            f"  <td>{_escaped(numbers)}</td>\n"
            f"  <td>{_escaped(', '.join(edition.libraries))}</td>\n"
            f'  <td class="exports">\n    {exports}\n  </td>\n</tr>'
        )
    return SafeString("".join(rows))


def _export(url: str, record_id: int, fmt: str) -> str:
    return url.replace(str(_MARK), str(record_id), 1).replace(_FORMAT, fmt, 1)
