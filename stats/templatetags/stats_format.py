"""Numbers on the statistics pages, written the French way (``stats.figures``)."""

from django import template

from stats.figures import french_integer, french_percent

register = template.Library()


@register.filter
def entier(value):
    """« 10 681 »."""
    return french_integer(value)


@register.filter
def pourcent(value):
    """« 3,2 % », « — » when unknown."""
    return french_percent(value)
