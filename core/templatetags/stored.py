"""``{{ entry|shown }}``: a message a worker stored (``core.i18n.stored``) in the reader's language."""

from django import template

from core import i18n

register = template.Library()


@register.filter
def shown(entry) -> str:
    return i18n.shown(entry) if isinstance(entry, dict) else i18n.shown({"message": str(entry)})
