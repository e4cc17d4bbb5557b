"""Provenance reads scoped by who asks, one module per area: review queue, chain, certificates."""
