"""Signals from lower layers that the provenance services answer.

``piece_claims_changed`` is sent by a service that changed a fact a certificate page
shows (a hallmark record, an evidence file) after its own write; the chain's services
then record the piece's new claims (``provenance.services.events``). Senders pass
``listing_ids`` and/or the changed ``record``, the ``actor`` and a ``reason``.
"""

from django.dispatch import Signal

piece_claims_changed = Signal()
