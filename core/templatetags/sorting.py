"""``{% sort_link sort column %}``: the query string that sorts the page's table by ``column``."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_link(context, sort, column) -> str:
    return sort.link(context["request"].GET, column)
