from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    """One Django app whose contexts (catalogue, commissions, accounts, …) are
    packages: their models share the ``marketplace`` label, tables and migrations."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "marketplace"

    def ready(self):
        from marketplace.catalogue import signals  # noqa: F401  (connects the receivers)
        from marketplace.reviews import queue  # noqa: F401  (joins the verification queue)
