import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Many users per test: a fast hasher keeps the suite quick (never in production)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
