from django.apps import AppConfig


class ArtisansConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "artisans"
