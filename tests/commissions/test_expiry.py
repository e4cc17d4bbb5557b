from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from marketplace.commissions.models import Commission, Quote
from tests import factories
from tests.commissions.helpers import (
    S,
    refresh,
    walk_to,
)

pytestmark = pytest.mark.django_db


def test_the_command_expires_unanswered_requests_and_stale_quotes(settings):
    settings.COMMISSION_REQUEST_EXPIRY_DAYS = 7
    unanswered = walk_to(S.SUBMITTED)
    Commission.objects.filter(pk=unanswered.pk).update(
        submitted_at=timezone.now() - timedelta(days=8)
    )
    stale = walk_to(S.QUOTED)
    Quote.objects.filter(commission=stale).update(
        valid_until=timezone.localdate() - timedelta(days=1)
    )
    fresh = walk_to(S.SUBMITTED)
    valid = walk_to(S.QUOTED)
    waiting = factories.ArtisanFactory(commission_status="waitlist")
    queued = walk_to(S.SUBMITTED, artisan=waiting)  # waitlisted, never expires
    Commission.objects.filter(pk=queued.pk).update(
        created_at=timezone.now() - timedelta(days=60)
    )
    out = StringIO()
    call_command("expire_commissions", stdout=out)
    assert "2 commissions expired." in out.getvalue()
    assert refresh(unanswered).status == S.EXPIRED
    assert refresh(stale).status == S.EXPIRED
    assert stale.quotes.get().status == Quote.Status.EXPIRED
    assert refresh(fresh).status == S.SUBMITTED
    assert refresh(valid).status == S.QUOTED
    assert refresh(queued).status == S.WAITLISTED
    assert unanswered.events.last().kind == "expire"
    # Running it again changes nothing.
    out = StringIO()
    call_command("expire_commissions", stdout=out)
    assert "0 commissions expired." in out.getvalue()
