from django.urls import path

from marketplace.views import accounts as views

app_name = "marketplace"

urlpatterns = [
    path("account/", views.AccountView.as_view(), name="account"),
]
