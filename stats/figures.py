"""The share of active members, and numbers written the French way.

The share of active members who used the digital library is

    distinct users who opened a resource with a library card in the period
    ─────────────────────────────────────────────────────────────────────── × 100
    active members of the libraries that year (entered or imported by staff)

shown to one decimal, rounded half up: the source document's 1,430 users of 44,500
active members are 3.213… %, « 3,2 % » (the document printed 3,1 %). Users of a
metropolitan card or without a card are not members of a library, so they count in the
users, not in the share.
"""

from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"  # before « % »
GROUP = "\u202f"  # between thousands, as French typography and Django's fr locale write
ONE_DECIMAL = Decimal("0.1")


def share_of_members(card_users: int, active_members: int | None) -> Decimal | None:
    """The share in percent, to one decimal; ``None`` when no active members are known
    (nothing entered for the year, or zero)."""
    if not active_members:
        return None
    return (Decimal(card_users) * 100 / Decimal(active_members)).quantize(
        ONE_DECIMAL, rounding=ROUND_HALF_UP
    )


def french_integer(value: int | None) -> str:
    """« 10 681 »: thousands grouped by a narrow no-break space."""
    if value is None:
        return "—"
    return f"{value:,}".replace(",", GROUP)


def french_decimal(value: Decimal | None) -> str:
    """« 3,2 » (for a French spreadsheet, and inside :func:`french_percent`)."""
    if value is None:
        return ""
    whole, _, decimals = f"{value:,.1f}".partition(".")
    return f"{whole.replace(',', GROUP)},{decimals}"


def french_percent(value: Decimal | None) -> str:
    """« 3,2 % », or « — » when the share cannot be computed."""
    if value is None:
        return "—"
    return f"{french_decimal(value)}{NBSP}%"
