"""Admin for staff."""
