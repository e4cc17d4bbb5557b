import pytest

from tests import factories


@pytest.fixture
def artisan(db):
    return factories.ArtisanFactory()


@pytest.fixture
def other_artisan(db):
    return factories.ArtisanFactory()


@pytest.fixture
def piece(artisan):
    """A published piece made from a recycled silver lot: (listing, lot)."""
    return factories.fabricated_piece(artisan)
