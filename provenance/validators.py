"""Checks on material facts that a jeweller or an assay office would recognise."""

from django.core.exceptions import ValidationError

from marketplace.materials import BASE_METALS, STANDARD_FINENESS, nonstandard_fineness


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
    if metal not in STANDARD_FINENESS:
        raise ValidationError({"metal": "Choose the metal."})
    problem = nonstandard_fineness(metal, fineness)
    if problem:
        raise ValidationError({"fineness": problem})
