"""Who may see and act on a commission: plain predicates for views, API and templates."""

from marketplace.commissions.services import (
    ARTISAN,
    BUYER,
    allowed_moves,
    party_of,
)


def can_view_commission(user, commission) -> bool:
    """Only the buyer and the artisan see a commission; to anyone else it does not exist."""
    return party_of(user, commission) is not None


def is_commission_buyer(user, commission) -> bool:
    return party_of(user, commission) == BUYER


def is_commission_artisan(user, commission) -> bool:
    return party_of(user, commission) == ARTISAN


def can_request_commission(user, artisan) -> bool:
    """A signed-in user other than the artisan, while the artisan is not closed."""
    return bool(
        user.is_authenticated
        and artisan.user_id != user.pk
        and artisan.commission_status != artisan.CommissionStatus.CLOSED
    )


def can_act_on_commission(user, commission, action: str) -> bool:
    """Whether the move is open to this user in the commission's current state."""
    return action in allowed_moves(user, commission)


def can_post_commission_message(user, commission) -> bool:
    return can_view_commission(user, commission)
