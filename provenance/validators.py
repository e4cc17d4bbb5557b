"""Checks on material facts that a jeweller or an assay office would recognise."""

from django.core.exceptions import ValidationError

# Standard finenesses in parts per thousand (DOMAIN.md "Materials").
STANDARD_FINENESS = {
    "gold": (375, 417, 585, 750, 916, 990, 999),
    "silver": (800, 925, 958, 999),
    "platinum": (850, 900, 950, 999),
    "palladium": (500, 950, 999),
}
BASE_METALS = ("brass", "copper", "steel")


def check_fineness(metal: str, fineness: int | None) -> None:
    """A metal lot names its metal and, for precious metals, a standard fineness."""
    if not metal:
        raise ValidationError({"metal": "Choose the metal."})
    if metal in BASE_METALS:
        if fineness is None:
            raise ValidationError(
                {"fineness": "Give the share of the metal in parts per thousand."}
            )
        return
    allowed = STANDARD_FINENESS.get(metal)
    if allowed is None:
        raise ValidationError({"metal": "Choose the metal."})
    if fineness not in allowed:
        listed = ", ".join(str(v) for v in allowed)
        raise ValidationError(
            {"fineness": f"{metal.title()} comes in {listed} parts per thousand."}
        )
