"""Favourites: pieces and artisans a buyer keeps."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from marketplace.catalogue.models import Favourite, Listing


@transaction.atomic
def favourite_toggle(*, user, listing: Listing | None = None, artisan=None) -> bool:
    """Favourite a piece or an artisan, or un-favourite it; returns the new state."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Log in to keep favourites.")
    if (listing is None) == (artisan is None):
        raise ValidationError("Favourite either a piece or an artisan.")
    lookup = {"listing": listing} if listing is not None else {"artisan": artisan}
    deleted, _ = Favourite.objects.filter(user=user, **lookup).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            Favourite.objects.create(user=user, **lookup)
    except IntegrityError:
        pass  # a concurrent request favourited it first: the end state is the same
    return True


@transaction.atomic
def favourite_add(*, user, listing: Listing | None = None, artisan=None) -> Favourite:
    """Favourite a piece or an artisan (idempotent)."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Log in to keep favourites.")
    if (listing is None) == (artisan is None):
        raise ValidationError("Favourite either a piece or an artisan.")
    lookup = {"listing": listing} if listing is not None else {"artisan": artisan}
    favourite, _ = Favourite.objects.get_or_create(user=user, **lookup)
    return favourite


@transaction.atomic
def favourite_remove(*, favourite: Favourite, user) -> None:
    """Remove one of the user's favourites."""
    if favourite.user_id != getattr(user, "pk", None):
        raise PermissionDenied("That is not your favourite.")
    favourite.delete()
