"""The public certificate page of a long chain: events newest first, grouped by month,
one page at a time; the verdict still covers the whole chain."""

import os
import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from provenance import services
from provenance.models import TraceEvent
from provenance.views.certificates import _event_pages, _page_number
from tests import factories

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<li id="event-(\d+)" class="timeline__event')


def _chain_of(artisan, count: int):
    """A published piece whose chain holds ``count`` events (4 from its making)."""
    listing, _lot = factories.fabricated_piece(artisan)
    office = factories.PartyFactory(kind="assay_office")
    for n in range(count - 4):
        services.piece_hallmark(
            actor=artisan.user,
            listing=listing,
            assay_office=office,
            note=f"re-assay {n}",
            occurred_at=timezone.now() - timedelta(days=9) + timedelta(minutes=n),
        )
    assert TraceEvent.objects.for_chain(listing).count() == count
    return listing


def _newest_first(listing) -> list[int]:
    events = TraceEvent.objects.for_chain(listing).order_by("-occurred_at", "-id")
    return list(events.values_list("id", flat=True))


def _rows(page: str) -> list[int]:
    return [int(pk) for pk in ROW.findall(page)]


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="([^"]+)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_a_long_chain_is_shown_one_page_at_a_time_with_working_links(
    client, artisan, settings
):
    assert settings.CERTIFICATE_EVENTS_PER_PAGE == 50  # the default
    listing = _chain_of(artisan, 60)
    url = listing.certificate.get_absolute_url()
    expected = _newest_first(listing)

    first = client.get(url)
    page = first.content.decode()
    assert first.status_code == 200
    # The verdict covers the whole chain, not the page.
    assert "All 60 recorded events still match their hashes" in page
    assert "60 events; showing 1–50" in page
    assert _rows(page) == expected[:50]
    assert '<nav class="pagination" aria-label="Origin chain pages">' in page
    assert 'href="?page=1#origin-chain" aria-current="page">1</a>' in page
    assert _link(page, "prev") is None
    older = _link(page, "next")
    assert older == "?page=2#origin-chain"

    second = client.get(url + older.split("#")[0])
    page = second.content.decode()
    assert second.status_code == 200
    assert "All 60 recorded events still match their hashes" in page
    assert "60 events; showing 51–60" in page
    assert _rows(page) == expected[50:]
    assert 'href="?page=2#origin-chain" aria-current="page">2</a>' in page
    assert _link(page, "next") is None
    newer = _link(page, "prev")
    assert newer == "?page=1#origin-chain"
    assert (
        _rows(client.get(url + newer.split("#")[0]).content.decode()) == (expected[:50])
    )

    # The signed export still holds the whole chain.
    export = client.get(
        reverse("api:certificate-detail", args=[listing.certificate.code])
    )
    assert export.status_code == 200
    assert len(export.json()["payload"]["events"]) == 60


def test_each_page_costs_the_same_queries(
    client, artisan, django_assert_max_num_queries
):
    listing = _chain_of(artisan, 60)
    url = listing.certificate.get_absolute_url()
    with django_assert_max_num_queries(14) as first:
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(len(first.captured_queries)) as second:
        assert client.get(url + "?page=2").status_code == 200
    assert len(second.captured_queries) == len(first.captured_queries)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("0", 1),
        ("-1", 1),
        ("99999", 4),
        ("abc", 1),
        ("", 1),
        ("1.5", 1),
        ("9" * 5000, 1),  # longer than Python will read as a whole number
        ("2", 2),
        ("4", 4),
    ],
)
def test_a_page_that_does_not_exist_shows_the_nearest_one(
    client, piece, settings, raw, shown
):
    settings.CERTIFICATE_EVENTS_PER_PAGE = 1
    listing, _lot = piece
    expected = _newest_first(listing)
    assert len(expected) == 4
    response = client.get(f"{listing.certificate.get_absolute_url()}?page={raw}")
    page = response.content.decode()
    assert response.status_code == 200
    assert f'href="?page={shown}#origin-chain" aria-current="page">{shown}</a>' in page
    assert _rows(page) == [expected[shown - 1]]
    assert f"4 events; showing {shown}–{shown}" in page


def test_a_nul_in_the_page_is_refused_at_the_edge_and_never_a_500(client, piece):
    listing, _lot = piece
    response = client.get(f"{listing.certificate.get_absolute_url()}?page=%00")
    # config.middleware refuses a NUL anywhere in the address; the view would read it
    # as the first page.
    assert response.status_code == 400
    assert _page_number("\x00", 3) == 1
    assert _page_number("1\x00", 3) == 1


def test_page_numbers_are_read_leniently():
    assert [_page_number(raw, 5) for raw in (None, "", "3", " 3 ", "0", "6", "x")] == [
        1,
        1,
        3,
        3,
        1,
        5,
        1,
    ]


def test_a_broken_link_on_another_page_is_named_and_linked(client, artisan, settings):
    listing = _chain_of(artisan, 60)
    origin = TraceEvent.objects.for_chain(listing).get(kind="origin")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote('provenance_traceevent')} SET {quote('note')} = %s "  # noqa: S608
            "WHERE id = %s",
            ["altered", origin.pk],
        )
    verdict = services.provenance_verify(listing)
    assert not verdict.ok and verdict.first_broken == origin
    url = listing.certificate.get_absolute_url()
    # The oldest event: newest first, it is on the second page.
    assert _newest_first(listing).index(origin.pk) >= 50

    page = client.get(url).content.decode()
    assert "Chain does not verify" in page
    assert origin.short_hash in page
    assert f'<a href="?page=2#event-{origin.pk}">' in page
    assert origin.pk not in _rows(page)

    page = client.get(url + "?page=2").content.decode()
    assert "Chain does not verify" in page
    assert (
        f'<li id="event-{origin.pk}" class="timeline__event timeline__event--origin '
        "timeline__event--broken"
    ) in page
    assert "Broken link:" in page


def test_events_are_grouped_by_month_newest_first(settings):
    settings.TIME_ZONE = "UTC"
    tz = timezone.get_current_timezone()
    events = [
        SimpleNamespace(pk=pk, occurred_at=datetime(2026, month, day, tzinfo=tz))
        for pk, (month, day) in enumerate(
            [(1, 5), (1, 20), (2, 1), (2, 28), (3, 3)], start=1
        )
    ]
    first = _event_pages(events, None, 3, None)
    assert [(m.month, [e.pk for e in group]) for m, group in first["event_months"]] == [
        (3, [5]),
        (2, [4, 3]),
    ]
    second = _event_pages(events, events[0], 3, "2")
    assert [
        (m.month, [e.pk for e in group]) for m, group in second["event_months"]
    ] == [(1, [2, 1])]
    assert second["broken_page"] == 2
    assert first["paginator"].num_pages == 2


@pytest.mark.skipif(
    not os.environ.get("TOUCHSTONE_MEASURE_CERTIFICATE"),
    reason="measures a 1,000-event chain's page (about a minute to record it): "
    "set TOUCHSTONE_MEASURE_CERTIFICATE=1 and run with -s",
)
def test_measure_a_1000_event_certificate_page(client, artisan):
    """Not a timed check: prints the size of a 1,000-event chain's page."""
    listing = _chain_of(artisan, 1000)
    response = client.get(listing.certificate.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "All 1,000 recorded events" in page or "All 1000 recorded events" in page
    assert "1,000 events; showing 1–50" in page
    assert len(_rows(page)) == 50
    print(f"\n1,000-event certificate page: {len(response.content):,} bytes")
