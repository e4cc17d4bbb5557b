"""Demo accounts. Each app adds its own demo content in its ``demo.py``."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from marketplace.accounts.roles import VERIFIERS_GROUP

User = get_user_model()

DEMO_PASSWORD = "touchstone-demo"  # noqa: S105 (published in the README)

ARTISAN_USERNAMES = ["wayan", "amina", "sofia", "kofi"]


def _user(
    username: str, *, email: str, first_name: str = "", last_name: str = "", **flags
):
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            **flags,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def seed_accounts() -> dict[str, User]:
    """The demo accounts, all with DEMO_PASSWORD: admin, verifier, buyer and the artisans."""
    users = {
        "admin": _user(
            "admin", email="admin@touchstone.test", is_staff=True, is_superuser=True
        ),
        "verifier": _user(
            "verifier",
            email="verifier@touchstone.test",
            first_name="Vera",
            last_name="Marsh",
        ),
        "buyer": _user(
            "buyer", email="buyer@touchstone.test", first_name="Ben", last_name="Hale"
        ),
        "buyer2": _user(
            "collector",
            email="collector@touchstone.test",
            first_name="Chloe",
            last_name="Ng",
        ),
    }
    verifiers, _ = Group.objects.get_or_create(name=VERIFIERS_GROUP)
    users["verifier"].groups.add(verifiers)
    names = {
        "wayan": ("Wayan", "Sudarma"),
        "amina": ("Amina", "El Idrissi"),
        "sofia": ("Sofia", "Lindqvist"),
        "kofi": ("Kofi", "Mensah"),
    }
    for username in ARTISAN_USERNAMES:
        first, last = names[username]
        users[username] = _user(
            username,
            email=f"{username}@touchstone.test",
            first_name=first,
            last_name=last,
        )
    return users
