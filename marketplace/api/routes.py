"""This app's API viewsets, registered on the project router in ``config/api.py``."""

from marketplace.api import commissions


def register(router) -> None:
    """Register this app's viewsets on the shared router."""
    commissions.register(router)
