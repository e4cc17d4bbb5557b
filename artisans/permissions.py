"""Who may do what with artisans' records: plain predicates shared by views, API and templates."""

from marketplace.accounts.roles import is_artisan, is_verifier
from provenance.services.verification import allowed_actions


def can_become_artisan(user) -> bool:
    """A logged-in user without a profile may create one."""
    return bool(user.is_authenticated and not is_artisan(user))


def can_edit_artisan(user, artisan) -> bool:
    """Only the owner edits a profile; verifiers change its status through reviews."""
    return bool(user.is_authenticated and artisan.user_id == user.pk)


def can_submit_artisan(user, artisan) -> bool:
    return can_edit_artisan(user, artisan) and "submit" in allowed_actions(
        artisan, by="owner"
    )


def can_edit_maker_mark(user, mark) -> bool:
    """The owner edits a mark until it is verified (afterwards it is a settled claim)."""
    return bool(
        user.is_authenticated and mark.artisan.user_id == user.pk and mark.is_editable
    )


def can_view_maker_mark(user, mark) -> bool:
    """Verified marks are public; the owner and verifiers see the others."""
    if mark.is_verified:
        return True
    return bool(
        user.is_authenticated and (mark.artisan.user_id == user.pk or is_verifier(user))
    )
