"""Provenance HTML views, one module per area: verification queue, chain workspace, certificates."""
