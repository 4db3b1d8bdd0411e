"""A metropolitan card's number as a Code 128 barcode and a QR code, both as inline SVG
markup without style attributes (the public pages' Content-Security-Policy forbids
inline styles), readable by the scanners of library desks and by phones."""

import barcode
import segno
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MODULE = 2  # width of one barcode module, in SVG units
BAR_HEIGHT = 60
QUIET_ZONE = 10  # modules of white space each side, as Code 128 asks


def barcode_svg(number: str, label: str) -> SafeString:
    """The Code 128 barcode of ``number``, an SVG image named ``label``."""
    modules = "".join(barcode.get("code128", number).build())
    width = (len(modules) + 2 * QUIET_ZONE) * MODULE
    bars, start = [], None
    for position, module in enumerate(modules + "0"):
        if module == "1" and start is None:
            start = position
        elif module == "0" and start is not None:
            x = (QUIET_ZONE + start) * MODULE
            bars.append(
                f'<rect x="{x}" y="0" width="{(position - start) * MODULE}" height="{BAR_HEIGHT}"/>'
            )
            start = None
    return mark_safe(  # noqa: S308 (numbers only, and the escaped label)
        f'<svg xmlns="http://www.w3.org/2000/svg" class="card-barcode" role="img" '
        f'aria-label="{escape(label)}" viewBox="0 0 {width} {BAR_HEIGHT}" width="{width}" '
        f'height="{BAR_HEIGHT}"><rect width="{width}" height="{BAR_HEIGHT}" fill="#fff"/>'
        f'<g fill="#000">{"".join(bars)}</g></svg>'
    )


def qr_svg(number: str, label: str) -> SafeString:
    """The QR code of ``number``, an SVG image named ``label``."""
    svg = segno.make(number, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", svgclass="card-qr", lineclass=None
    )
    named = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
    return mark_safe(named)  # noqa: S308 (segno's own markup, and the escaped label)
