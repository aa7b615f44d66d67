from django import template

from core import money

register = template.Library()


@register.filter
def rupiah(amount):
    """``Rp180.000.000``."""
    return money.rupiah(amount)


@register.filter
def rupiah_words(amount):
    """``Rp180 juta``."""
    return money.rupiah_words(amount)


@register.filter
def rupiah_short(amount):
    """``Rp180 jt``."""
    return money.rupiah_short(amount)


@register.filter
def percent_of(part, whole):
    """Share of ``part`` in ``whole`` as a whole percentage (0 when ``whole`` is empty)."""
    if not whole:
        return 0
    return round(100 * (part or 0) / whole)


@register.filter
def share_of(part, whole):
    """Share of ``part`` in ``whole`` in percent, unrounded (``|floatformat:"-1"`` shows 0,4 and
    50): a small absorption is not shown as 0%. None when ``whole`` is empty."""
    if not whole:
        return None
    return 100 * (part or 0) / whole


@register.filter
def subtract(amount, other):
    """``allocated|subtract:realized``: what remains (*sisa*)."""
    return (amount or 0) - (other or 0)
