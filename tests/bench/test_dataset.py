"""The benchmark dataset generator builds the counts and shapes it promises."""

import pytest
from django.core.files.storage import default_storage

from artisans.models import Artisan
from bench import chains
from bench.dataset import SIZES, Generator
from marketplace.catalogue.models import (
    HallmarkRecord,
    Listing,
    ListingPhoto,
    MetalComponent,
)


def test_extra_small_dataset_has_the_requested_counts(db):
    counts = Generator(SIZES["XS"], log=lambda *args: None).run()

    generated = Listing.objects.exclude(slug=chains.LONG_CHAIN_SLUG)
    assert generated.count() == 20 == counts["listings"]
    assert Artisan.objects.count() == 4
    # Every piece has materials and a main photo; photo rows share a few real files.
    assert not Listing.objects.filter(metals__isnull=True).exists()
    assert ListingPhoto.objects.filter(role="main", listing__in=generated).count() == 20
    names = set(ListingPhoto.objects.values_list("thumb_small", flat=True))
    assert 1 <= len(names) <= 6
    assert all(default_storage.exists(name) for name in names)
    assert generated.filter(status="published").count() == counts["published"]
    assert counts["published"] >= 10


def test_dataset_uses_standard_fineness_and_honest_hallmarks(db):
    Generator(SIZES["XS"], seed=3, log=lambda *args: None).run()

    standard = {375, 585, 750, 916, 999, 800, 925, 958, 850, 900, 950, 500}
    finenesses = set(
        MetalComponent.objects.exclude(fineness=None).values_list("fineness", flat=True)
    )
    assert finenesses <= standard
    assert not MetalComponent.objects.filter(
        construction__in=["plated", "gold_filled"], fineness__isnull=False
    ).exists()
    for record in HallmarkRecord.objects.select_related("listing", "maker_mark"):
        assert record.maker_mark.artisan_id == record.listing.artisan_id


@pytest.mark.skipif(not chains.available(), reason="needs the provenance chain")
def test_dataset_chains_verify_and_the_long_chain_has_its_length(db):
    from provenance.models import Certificate, TraceEvent
    from provenance.services.chain import provenance_verify

    counts = Generator(SIZES["XS"], log=lambda *args: None).run()

    long = Listing.objects.get(slug=chains.LONG_CHAIN_SLUG)
    assert TraceEvent.objects.for_chain(long).count() == 50
    assert provenance_verify(long).ok
    chained = Listing.objects.filter(certificate__isnull=False).exclude(pk=long.pk)
    assert chained.count() == counts["pieces_with_chains"] >= 1
    assert all(provenance_verify(listing).ok for listing in chained)
    assert Certificate.objects.count() == chained.count() + 1
