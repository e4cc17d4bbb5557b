"""Marketplace models: listings and the catalogue (listings.py), commissions (commissions.py)."""
