"""Marketplace forms, one module per area: accounts, listings, commissions."""
