"""Template helpers for the catalogue: facet values, sort links and the favourites
on "My account"."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from marketplace.catalogue.selectors import favourite_list

register = template.Library()


@register.simple_tag
def facet_sections(facets: list[dict]) -> str:
    """The catalogue sidebar's facets: a section per facet listing its values, each a
    link ticking or unticking it (its ``url``), ticked ones marked, with its count.
    Written in one pass, escaping each text once, rather than template loops: the
    sidebar links every value of every facet on every catalogue page."""
    sections = []
    for facet in facets:
        name = escape(facet["name"])
        items = []
        for option in facet["values"]:
            current, tick = (
                (' aria-current="true"', "✓ ") if option["selected"] else ("", "")
            )
            items.append(
                f'<li><a href="{escape(option["url"])}"{current} data-facet="{name}" '
                f'data-value="{escape(option["value"])}">{tick}'
                f"{escape(option['label'])}</a> "
                f'<span class="count">{int(option["count"])}</span></li>'
            )
        sections.append(
            f'<section class="facet" aria-labelledby="facet-{name}">\n'
            f'<h3 id="facet-{name}">{escape(str(facet["label"]))}</h3>\n'
            f"<ul>\n{chr(10).join(items)}\n</ul>\n</section>"
        )
    return mark_safe("\n".join(sections))  # noqa: S308 - each text in it is escaped


@register.simple_tag
def sort_options(choices, current: str) -> str:
    """The sort menu's options, the current order selected."""
    return mark_safe(  # noqa: S308 - each text in it is escaped
        "".join(
            f'<option value="{escape(value)}"'
            f"{' selected' if value == current else ''}>{escape(str(label))}</option>"
            for value, label in choices
        )
    )


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
