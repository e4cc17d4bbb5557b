"""Provenance HTML views, one module per area: review queue, chain workspace, certificates."""
