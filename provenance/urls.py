from django.urls import path  # noqa: F401

app_name = "provenance"

# The verifiers' review queue (/review/...), the artisan's provenance workspace under
# /studio/provenance/, and public certificates (/certificates/<code>/).
urlpatterns = []
