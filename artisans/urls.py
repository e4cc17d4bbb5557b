from django.urls import path  # noqa: F401

app_name = "artisans"

# Public directory and artisan pages (/artisans/...), onboarding, and the artisan's own
# workspace under /studio/.
urlpatterns = []
