from django import template

from provenance.selectors.chain import certificates_owned

register = template.Library()


@register.inclusion_tag("provenance/_account_pieces.html")
def account_pieces(user, limit: int = 12):
    """The pieces whose certificates name this account as their owner."""
    certificates = list(certificates_owned(user=user)[: limit + 1])
    return {"certificates": certificates[:limit], "more": len(certificates) > limit}
