"""Who may do what with pieces: plain predicates for views, the API and templates."""

from marketplace.accounts.roles import is_verifier


def _artisan_user_id(listing) -> int | None:
    return getattr(listing.artisan, "user_id", None)


def can_edit_listing(user, listing) -> bool:
    """Only the artisan who makes a piece edits it and moves it through its states."""
    return bool(
        user is not None
        and user.is_authenticated
        and _artisan_user_id(listing) == user.pk
    )


def can_view_listing(user, listing) -> bool:
    """Public pieces for everyone; drafts, archived and private pieces for their maker."""
    if can_edit_listing(user, listing):
        return True
    if listing.private_to_id is not None:
        return bool(user and user.is_authenticated and listing.private_to_id == user.pk)
    return listing.is_public


def can_buy_listing(user, listing) -> bool:
    """A signed-in buyer (not the maker) may order a published piece."""
    return bool(
        user is not None
        and user.is_authenticated
        and _artisan_user_id(listing) != user.pk
        and listing.is_live
    )


def can_favourite(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def can_set_metal_prices(user) -> bool:
    """Verifiers and administrators keep the reference metal prices."""
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_staff or is_verifier(user))
    )
