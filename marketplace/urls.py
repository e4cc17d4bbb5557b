from django.urls import path

from . import views

app_name = "marketplace"

urlpatterns = [
    path("account/", views.AccountView.as_view(), name="account"),
]
