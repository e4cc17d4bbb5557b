"""Each chain claim has its own template for the verifiers' review queue."""

import pytest
from django.template.loader import render_to_string

from provenance.models import TraceEvent
from tests import factories

pytestmark = pytest.mark.django_db


def test_lot_event_and_certification_claims_render_with_their_facts(artisan):
    certification = factories.CertificationFactory(artisan=artisan)
    lot = factories.recycled_silver_lot(artisan, certification=certification)
    event = TraceEvent.objects.get(items__lot=lot, kind="transfer")
    lot_html = render_to_string(
        "provenance/review/kinds/materiallot.html", {"claim": lot}
    )
    assert lot.reference in lot_html and "Recycled (post-consumer)" in lot_html
    assert certification.number in lot_html
    event_html = render_to_string(
        "provenance/review/kinds/traceevent.html", {"claim": event}
    )
    assert "Transfer of custody" in event_html and event.hash in event_html
    cert_html = render_to_string(
        "provenance/review/kinds/certification.html", {"claim": certification}
    )
    assert "SCS recycled content" in cert_html and lot.reference in cert_html
