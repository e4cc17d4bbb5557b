"""The marketplace's pages under one ``marketplace:`` namespace, one list per context."""

from django.urls import path

from marketplace.accounts import views as accounts
from marketplace.catalogue.urls import urlpatterns as catalogue_urlpatterns
from marketplace.commissions.urls import urlpatterns as commissions_urlpatterns
from marketplace.orders.urls import urlpatterns as orders_urlpatterns
from marketplace.reviews.urls import urlpatterns as reviews_urlpatterns

app_name = "marketplace"

urlpatterns = [
    path("account/", accounts.AccountView.as_view(), name="account"),
    *catalogue_urlpatterns,
    *commissions_urlpatterns,
    *orders_urlpatterns,
    *reviews_urlpatterns,
]
