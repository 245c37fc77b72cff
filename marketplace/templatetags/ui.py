import re

from django import template
from django.forms import CheckboxInput, RadioSelect, Select, SelectMultiple

register = template.Library()


@register.filter
def bootstrap(bound_field):
    """Render a form field's widget with Bootstrap's classes (any form, including Django's own)."""
    widget = bound_field.field.widget
    if isinstance(widget, CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, (Select, SelectMultiple)) and not isinstance(widget, RadioSelect):
        css = "form-select"
    else:
        css = "form-control"
    if bound_field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    return bound_field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def activity_label(code):
    """An audit code (``need.suggestions_added``) as words in the reader's language."""
    from marketplace import activity

    return activity.label(str(code or ""))


_TRAILING_CODE = re.compile(r"(?:\s*\([a-z_]+\)|:\s*[a-z_]+)$")


@register.filter
def activity_target(text):
    """What an audit entry was about (its stored ``str(target)``), without the state or role code some
    models add to it ("… (viewed)", "… (owner)", "…: small"): the label already says what happened."""
    return _TRAILING_CODE.sub("", str(text or "")).strip()


@register.filter
def whole_yuan(amount):
    """A whole-yuan amount (SME size data) as ``¥300,000`` in every language: Django's Chinese number
    format has no thousands separator, so ``floatformat:"0g"`` printed ``¥300000`` there."""
    if amount in (None, ""):
        return "—"
    return f"¥{int(amount):,}"
