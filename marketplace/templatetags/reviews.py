"""Review sections for other pages: the artisan page, the piece page, an order and a
commission. Each reads the kept rating figures and a fixed number of queries."""

from django import template

from marketplace.reviews import selectors

register = template.Library()


@register.inclusion_tag("reviews/_list.html", takes_context=True)
def artisan_reviews(context, artisan):
    """The artisan's rating and a page of their reviews, filterable by rating."""
    return {
        "artisan": artisan,
        "request": context["request"],
        **selectors.artisan_reviews_context(context["request"], artisan=artisan),
    }


@register.inclusion_tag("reviews/_piece_reviews.html")
def piece_reviews(listing):
    """The piece's rating and newest reviews, with a link to the artisan's."""
    return {"listing": listing, "reviews": selectors.listing_reviews(listing=listing)}


@register.inclusion_tag("reviews/_purchase_reviews.html", takes_context=True)
def order_reviews(context, order):
    """On a delivered order: write a review of each piece, or open yours."""
    user = context["request"].user
    return {
        "rows": selectors.order_review_rows(user=user, order=order),
        "request": context["request"],
    }


@register.inclusion_tag("reviews/_purchase_reviews.html", takes_context=True)
def commission_review(context, commission):
    """On a completed commission: write its review, or open yours."""
    user = context["request"].user
    return {
        "rows": selectors.commission_review_rows(user=user, commission=commission),
        "request": context["request"],
    }
