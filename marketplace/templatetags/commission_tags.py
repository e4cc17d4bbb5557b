"""Commission sections for other pages ("My account")."""

from django import template

from marketplace.commissions import selectors

register = template.Library()


@register.inclusion_tag("commissions/commission_account_section.html")
def account_commissions(user, limit: int = 5):
    """The buyer's latest commissions and the pieces made for them."""
    commissions = list(selectors.commission_list(user=user)[:limit])
    pieces = list(selectors.commissioned_piece_list(user=user)[:limit])
    return {"commissions": commissions, "pieces": pieces, "user": user}
