"""Who may do what with artisans' records: plain predicates shared by views, API and templates."""


def is_artisan(user) -> bool:
    """A user with an artisan profile is an artisan."""
    return bool(
        user.is_authenticated and getattr(user, "artisan_profile", None) is not None
    )
