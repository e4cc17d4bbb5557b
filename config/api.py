"""The REST API: one router; each app registers its viewsets in ``<app>/api/routes.py``."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from artisans.api import routes as artisans_routes
from marketplace.accounts.api import AuthTokenView
from marketplace.catalogue.api import routes as catalogue_routes
from marketplace.commissions.api import views as commissions_api
from marketplace.orders.api import views as orders_api
from marketplace.reviews.api import views as reviews_api
from provenance.api import routes as provenance_routes


class TouchstoneRouter(DefaultRouter):
    """A router whose root also lists the endpoints that are not viewsets."""

    extra_root_links = {
        "auth/token": "auth-token",
        "basket": "basket",
        "log/checkpoint": "log-checkpoint",
        "schema": "schema",
        "docs": "docs",
    }

    def get_api_root_view(self, api_urls=None):
        api_root_dict = {
            prefix: self.routes[0].name.format(basename=basename)
            for prefix, _viewset, basename in self.registry
        }
        api_root_dict.update(self.extra_root_links)
        return self.APIRootView.as_view(api_root_dict=api_root_dict)


router = TouchstoneRouter()
for routes in (
    artisans_routes,
    catalogue_routes,
    commissions_api,
    orders_api,
    provenance_routes,
    reviews_api,
):
    routes.register(router)

urlpatterns = [
    path("auth/token/", AuthTokenView.as_view(), name="auth-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        # Swagger UI styles some elements inline; allow that on this page only.
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
    *orders_api.urlpatterns,
    *provenance_routes.urlpatterns,
    path("", include(router.urls)),
]
