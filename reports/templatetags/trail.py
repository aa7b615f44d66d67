"""``{% trail_url "realisasi" provinsi=province.code tahun=year %}``: the link from a public
figure to its trail (``reports.trail``); empty scope values are left out."""

from django import template
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import urlencode

register = template.Library()


@register.simple_tag
def trail_url(figure, **scope):
    params = {name: value for name, value in scope.items() if value not in (None, "")}
    url = reverse("reports:trail", args=[figure])
    return f"{url}?{urlencode(params)}" if params else url


@register.filter
def isodate(value):
    """A published date or timestamp (ISO text, as the API gives it) as a date for ``|date``."""
    if not value:
        return None
    return parse_datetime(value) or parse_date(value)
