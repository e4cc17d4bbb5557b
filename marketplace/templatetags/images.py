"""Thumbnails in templates: a stored thumbnail's URL, or a placeholder while the task
that makes it has not run yet (pages never show the original upload)."""

from django import template
from django.templatetags.static import static

register = template.Library()

PENDING = "img/thumbnail-pending.svg"


@register.filter
def thumb_url(field_file) -> str:
    """``{{ photo.thumb_small|thumb_url }}``: the thumbnail, or the placeholder."""
    if field_file:
        return field_file.url
    return static(PENDING)
