"""Order sections for other pages: the piece page's buy box, My account's orders."""

from django import template

from marketplace.catalogue.permissions import can_buy_listing
from marketplace.orders import selectors

register = template.Library()


@register.inclusion_tag("orders/_buy_box.html", takes_context=True)
def buy_box(context, listing):
    """Buy now / Add to basket for a piece on sale; "Sold" with its date; and the
    signed-in buyer's own order of it."""
    user = context["user"]
    return {
        "listing": listing,
        "user": user,
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "can_buy": can_buy_listing(user, listing),
        "my_order": selectors.buyer_state(user=user, listing=listing),
        "sold_on": selectors.listing_sold_on(listing=listing)
        if listing.status == "sold"
        else None,
    }


@register.inclusion_tag("orders/_account_section.html")
def account_orders(user, limit: int = 5):
    """The buyer's latest orders."""
    return {"orders": list(selectors.order_list(user=user)[:limit]), "user": user}


@register.simple_tag(takes_context=True)
def basket_count(context):
    return selectors.basket_count(user=context["user"])
