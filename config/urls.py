import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve as static_serve

from config import api, private_files
from marketplace.catalogue.views.public import HomeView
from ops import views as ops_views

admin.site.site_header = "Touchstone administration"
admin.site.site_title = "Touchstone admin"

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    # Before the pages' includes, which are tried in turn: an API request is matched
    # without trying each page's pattern first.
    path("api/", include((api.urlpatterns, "api"))),
    path("accounts/", include("marketplace.accounts.urls")),
    path("", include("marketplace.urls")),
    path("", include("artisans.urls")),
    path("", include("provenance.urls")),
    path("admin/", admin.site.urls),
    path("files/<path:name>", private_files.serve, name="private-file"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
]

if settings.BENCHMARK:
    from config.bench_views import floor

    urlpatterns.append(path("bench/floor/", floor, name="bench-floor"))

if settings.SERVE_MEDIA:
    # Public uploads, for `make run` and `make serve`; a real deployment serves them
    # from the front server or the object storage.
    urlpatterns.append(
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            static_serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    )
