"""The search page's long lists, written in Python: facet values are the page's most
repeated markup (up to 20 values in each of nine facets), and a template loop over them
cost more than the search itself (bench/search.py)."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


def _count(value: dict, exact: bool) -> tuple[str, str]:
    sign = "≈ " if not exact and value["count"] else ""
    plural = "s" if value["count"] > 1 else ""
    applied = ", filtre appliqué : retirer" if value["selected"] else ""
    return f"{sign}{value['count']}", f" œuvre{plural}{applied}"


@register.simple_tag
def facet_items(values: list[dict], exact: bool) -> str:
    """The ``<li>`` of each facet value: a link that adds or removes it, with its count."""
    rows = []
    for value in values:
        shown, spoken = _count(value, exact)
        if value["selected"]:
            rows.append(
                format_html(
                    '<li><a href="{}" aria-current="true" class="selected">'
                    '<span aria-hidden="true">✓ </span>{} <span class="count">({}'
                    '<span class="visually-hidden">{}</span>)</span></a></li>',
                    value["url"],
                    value["label"],
                    shown,
                    spoken,
                )
            )
        else:
            rows.append(
                format_html(
                    '<li><a href="{}">{} <span class="count">({}'
                    '<span class="visually-hidden">{}</span>)</span></a></li>',
                    value["url"], value["label"], shown, spoken,
                )
            )  # fmt: skip
    return format_html_join("", "{}", ((row,) for row in rows))


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
