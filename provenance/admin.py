"""Admin for staff."""

from provenance import admin_chain  # noqa: F401  (the origin chain's admin)
