"""Template helpers for the catalogue: facet links and the favourites on "My account"."""

from django import template

from marketplace.catalogue.selectors import favourite_list

register = template.Library()


@register.simple_tag
def facet_toggle_url(query, name: str, value: str) -> str:
    """The catalogue URL with one facet value ticked or unticked (and page reset)."""
    query = query.copy()
    query.pop("page", None)
    values = query.getlist(name)
    if value in values:
        values.remove(value)
    else:
        values.append(value)
    query.setlist(name, values)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


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
