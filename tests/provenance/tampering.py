"""What an insider with write access to the database does, for the tampering tests:
SQL on the rows, re-hashing a chain and rewriting its head, deleting an event; never
through the services."""

from django.db import connection

from provenance.hashing import content_hash, event_content
from provenance.models import ChainMembership, EventItem, EventLink, TraceEvent
from provenance.services.chain import chain_anchor_refresh, chain_events


def sql(statement: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def rehash_chain(listing) -> None:
    """Recompute every stored hash of the piece's chain, oldest first, and its head."""
    for event_id in [e.pk for e in chain_events(listing)]:
        event = next(e for e in chain_events(listing) if e.pk == event_id)
        content = event_content(
            event, event.loaded_items, [h for _p, h in event.loaded_parents]
        )
        TraceEvent.objects.filter(pk=event_id).update(
            hash=content_hash(content, version=event.hash_version)
        )
    chain_anchor_refresh(listing_ids=[listing.pk])


def delete_event(event) -> None:
    """The event and its rows gone (the certificate's head is left as it was)."""
    EventItem.objects.filter(event=event).delete()
    EventLink.objects.filter(event=event).delete()
    ChainMembership.objects.filter(event=event).delete()
    TraceEvent.objects.filter(pk=event.pk).delete()
