"""Who may see a claim's private parts: plain predicates for views and the file view."""

from marketplace.accounts.roles import is_verifier


def can_see_claim_privately(user, record) -> bool:
    """The owner of a claim and the verifiers; to anyone else its files do not exist."""
    if not user.is_authenticated:
        return False
    return is_verifier(user) or record.verification_owner.pk == user.pk


def can_view_claim_photo(user, record) -> bool:
    """A photo that is part of a claim: public once verified, private before."""
    return record.is_verified or can_see_claim_privately(user, record)


def can_view_evidence(user, evidence) -> bool:
    """Evidence stays private even after its claim is decided: it may hold invoices,
    addresses or a supplier's terms."""
    record = evidence.content_object
    return record is not None and can_see_claim_privately(user, record)
