"""The roles a signed-in user can hold, as plain predicates that every context uses.

A buyer is any signed-in user; an artisan has an artisan profile; a verifier belongs
to the Verifiers group (or is a superuser) and reviews other people's claims.
"""

VERIFIERS_GROUP = "Verifiers"


def is_artisan(user) -> bool:
    """A user with an artisan profile is an artisan."""
    return bool(
        user.is_authenticated and getattr(user, "artisan_profile", None) is not None
    )


def is_verifier(user) -> bool:
    """Members of the Verifiers group (and superusers) review artisans' claims."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=VERIFIERS_GROUP).exists()
