"""The demo provenance: every published piece has a chain; running it twice adds nothing."""

import pytest

from marketplace.catalogue.models import Listing
from marketplace.demo import accounts as accounts_demo
from marketplace.demo import artisans as artisans_demo
from marketplace.demo import provenance as demo
from provenance.models import Certificate, MaterialLot, Party, Review, TraceEvent
from provenance.selectors.chain import party_list
from provenance.services import provenance_verify

pytestmark = pytest.mark.django_db


def test_demo_chains_are_complete_idempotent_and_show_every_case():
    users = accounts_demo.seed_accounts()
    artisans = artisans_demo.seed(users)
    demo.seed(users, artisans)
    counts = (
        TraceEvent.objects.count(),
        MaterialLot.objects.count(),
        Certificate.objects.count(),
    )
    demo.seed(users, artisans)
    assert counts == (
        TraceEvent.objects.count(),
        MaterialLot.objects.count(),
        Certificate.objects.count(),
    )
    published = list(Listing.objects.public())
    assert published
    results = {listing.pk: provenance_verify(listing) for listing in published}
    broken = [r for r in results.values() if not r.ok]
    assert len(broken) == 1 and broken[0].first_broken.kind == "transformation"
    assert Certificate.objects.filter(chain_verified=False).count() == 1
    assert Certificate.objects.filter(owner=users["buyer2"]).count() == 1
    assert TraceEvent.objects.filter(kind="ownership").count() == 1
    assert set(MaterialLot.objects.values_list("origin_type", flat=True)) >= {
        "recycled_post_consumer",
        "artisanal_mined",
    }
    assert MaterialLot.objects.filter(material="stone").exists()
    assert Review.objects.awaiting().exists()
    assert TraceEvent.objects.filter(kind="assay").exists()


def test_demo_parties_are_verified_through_the_queue_but_one_proposal_waits():
    users = accounts_demo.seed_accounts()
    artisans = artisans_demo.seed(users)
    demo.seed(users, artisans)
    outside = Party.objects.filter(artisan=None)
    username, proposal = demo.PROPOSED_PARTY
    waiting = outside.get(name=proposal["name"])
    assert waiting.verification_status == "submitted"
    chained = outside.exclude(pk=waiting.pk)
    assert {p.name for p in chained} == {p["name"] for p in demo.PARTIES.values()}
    assert all(p.verification_status == "verified" for p in chained)
    verdicts = Review.objects.filter(
        content_type__model="party", object_id__in=[p.pk for p in chained]
    )
    assert {r.reviewer for r in verdicts} == {users["verifier"]}
    assert waiting in party_list(user=artisans[username].user)
    others = [a for name, a in artisans.items() if name != username]
    assert all(waiting not in party_list(user=a.user) for a in others)
