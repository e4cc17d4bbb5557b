"""This app's API viewsets, registered on the project router in ``config/api.py``."""


def register(router) -> None:
    """Register this app's viewsets on the shared router."""
