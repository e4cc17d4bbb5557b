"""The shared vocabulary of materials: metals, fineness and hallmark identifiers.

The catalogue (a piece's metals and hallmarks) and provenance (material lots) both
import this module; it imports nothing of the project, so it sits below both.
"""

from decimal import Decimal

from django.db import models


class Metal(models.TextChoices):
    GOLD = "gold", "Gold"
    SILVER = "silver", "Silver"
    PLATINUM = "platinum", "Platinum"
    PALLADIUM = "palladium", "Palladium"
    BRASS = "brass", "Brass"
    COPPER = "copper", "Copper"
    STEEL = "steel", "Steel"


PRECIOUS_METALS = (Metal.GOLD, Metal.SILVER, Metal.PLATINUM, Metal.PALLADIUM)
BASE_METALS = (Metal.BRASS, Metal.COPPER, Metal.STEEL)

# Standard fineness values (parts per thousand) per precious metal, from DOMAIN.md.
STANDARD_FINENESS = {
    Metal.GOLD: (375, 417, 585, 750, 916, 990, 999),
    Metal.SILVER: (800, 925, 958, 999),
    Metal.PLATINUM: (850, 900, 950, 999),
    Metal.PALLADIUM: (500, 950, 999),
}
ALL_STANDARD_FINENESS = tuple(
    sorted({value for values in STANDARD_FINENESS.values() for value in values})
)

# Above these weights (grams of the precious metal) a piece sold in the UK must carry a
# UK hallmark (Hallmarking Act 1973 exemption weights).
UK_EXEMPTION_GRAMS = {
    Metal.GOLD: Decimal("1"),
    Metal.SILVER: Decimal("7.78"),
    Metal.PLATINUM: Decimal("0.5"),
    Metal.PALLADIUM: Decimal("1"),
}

# India's BIS hallmark: a six-character alphanumeric HUID, unique per piece.
HUID_PATTERN = r"^[A-Z0-9]{6}$"


def nonstandard_fineness(metal: str, fineness: int | None) -> str | None:
    """Why a precious metal's fineness is not a standard value, or None when it is."""
    allowed = STANDARD_FINENESS.get(metal)
    if allowed is None or fineness in allowed:
        return None
    listed = ", ".join(str(value) for value in allowed)
    if fineness is None:
        return f"Give the fineness: {metal} comes in {listed} parts per thousand."
    return f"{fineness} is not a standard fineness for {metal}: use one of {listed}."
