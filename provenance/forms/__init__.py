"""Provenance forms, one module per area: review queue, chain workspace."""
