"""Marketplace writes, one module per area: accounts, listings, commissions."""
