"""Marketplace HTML views, one module per area: accounts, catalogue, commissions."""
