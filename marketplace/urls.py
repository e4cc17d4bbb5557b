from django.urls import path

from marketplace.commission_urls import urlpatterns as commission_urlpatterns
from marketplace.views import accounts as views

app_name = "marketplace"

urlpatterns = [
    path("account/", views.AccountView.as_view(), name="account"),
]

urlpatterns += commission_urlpatterns
