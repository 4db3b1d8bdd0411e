import json

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from metrobib.reversal import reversed_once

register = template.Library()


@register.simple_tag
def url_of(viewname: str) -> str:
    """``{% url viewname %}`` of a view without arguments, reversed once per process."""
    return reversed_once(viewname)


_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def jsonld(data) -> str:
    """A schema.org block: ``<script type="application/ld+json">``, escaped like json_script.

    A data block is never executed, so the strict Content-Security-Policy allows it.
    """
    payload = json.dumps(data, ensure_ascii=False).translate(_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.filter
def day_month(value) -> str:
    """« 1er décembre », « 25 novembre »: French dates as written, with the ordinal 1er."""
    from django.utils.dateformat import format as date_format

    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {date_format(value, 'F')}"
