"""Artisan HTML views."""
