"""Commission pages: /commissions/..., the studio inbox and /notifications/."""

from django.urls import path

from marketplace.commissions import views

urlpatterns = [
    path("commissions/", views.CommissionListView.as_view(), name="commission-list"),
    path(
        "commissions/new/",
        views.CommissionCreateView.as_view(),
        name="commission-create",
    ),
    path(
        "commissions/<int:pk>/",
        views.CommissionDetailView.as_view(),
        name="commission-detail",
    ),
    path(
        "commissions/<int:pk>/messages/",
        views.CommissionMessageView.as_view(),
        name="commission-messages",
    ),
    path(
        "commissions/<int:pk>/<slug:slug>/",
        views.CommissionMoveView.as_view(),
        name="commission-move",
    ),
    path(
        "studio/commissions/",
        views.StudioCommissionListView.as_view(),
        name="studio-commission-list",
    ),
    path(
        "studio/commissions/admit-next/",
        views.StudioCommissionAdmitNextView.as_view(),
        name="studio-commission-admit-next",
    ),
    path(
        "notifications/",
        views.NotificationListView.as_view(),
        name="notification-list",
    ),
    path(
        "notifications/read/",
        views.NotificationMarkReadView.as_view(),
        name="notification-mark-read",
    ),
    path(
        "notifications/<int:pk>/",
        views.NotificationOpenView.as_view(),
        name="notification-open",
    ),
]
