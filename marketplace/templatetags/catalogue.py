"""Template helpers for the catalogue: facet values, sort links and the favourites
on "My account"."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from marketplace.catalogue.selectors import favourite_list

register = template.Library()


@register.simple_tag
def facet_options(facet: dict) -> str:
    """A facet's values as list items: each a link ticking or unticking it (its
    ``url``), ticked ones marked, with its count. Written in one pass, escaping each
    text once, rather than a template loop: the sidebar links every value of every
    facet."""
    name = escape(facet["name"])
    items = []
    for option in facet["values"]:
        current, tick = (
            (' aria-current="true"', "✓ ") if option["selected"] else ("", "")
        )
        items.append(
            f'<li><a href="{escape(option["url"])}"{current} data-facet="{name}" '
            f'data-value="{escape(option["value"])}">{tick}{escape(option["label"])}'
            f'</a> <span class="count">{int(option["count"])}</span></li>'
        )
    return mark_safe("\n".join(items))  # noqa: S308 - each text in it is escaped


@register.simple_tag
def sort_url(query, ordering: str) -> str:
    query = query.copy()
    query.pop("page", None)
    query["ordering"] = ordering
    return f"?{query.urlencode()}"


@register.inclusion_tag("catalogue/includes/account_favourites.html")
def account_favourites(user, limit: int = 8):
    """The user's latest favourites for the "My account" page."""
    favourites = list(favourite_list(user=user)[: limit + 1])
    return {
        "favourites": favourites[:limit],
        "more": len(favourites) > limit,
    }


@register.simple_tag
def artisan_url(artisan) -> str:
    """The artisan's public page (the artisans app owns the route)."""
    from django.urls import NoReverseMatch

    try:
        return artisan.get_absolute_url()
    except NoReverseMatch:
        return f"/artisans/{artisan.slug}/"
