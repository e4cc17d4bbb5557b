"""Who may review claims: plain predicates shared by views, API and templates."""

VERIFIERS_GROUP = "Verifiers"


def is_verifier(user) -> bool:
    """Members of the Verifiers group (and superusers) review artisans' claims."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=VERIFIERS_GROUP).exists()
