from django.urls import path

from marketplace.orders import views

urlpatterns = [
    path("basket/", views.BasketView.as_view(), name="basket"),
    path("basket/add/<slug:slug>/", views.BasketAddView.as_view(), name="basket-add"),
    path("basket/lines/<int:pk>/", views.BasketLineView.as_view(), name="basket-line"),
    path(
        "basket/lines/<int:pk>/remove/",
        views.BasketLineRemoveView.as_view(),
        name="basket-line-remove",
    ),
    path("checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("account/addresses/", views.AddressListView.as_view(), name="address-list"),
    path(
        "account/addresses/new/",
        views.AddressFormView.as_view(),
        name="address-create",
    ),
    path(
        "account/addresses/<int:pk>/",
        views.AddressFormView.as_view(),
        name="address-update",
    ),
    path(
        "account/addresses/<int:pk>/delete/",
        views.AddressDeleteView.as_view(),
        name="address-delete",
    ),
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/<str:number>/", views.OrderDetailView.as_view(), name="order-detail"),
    path(
        "orders/<str:number>/receipt/",
        views.OrderReceiptView.as_view(),
        name="order-receipt",
    ),
    path(
        "orders/<str:number>/<slug:move>/",
        views.OrderMoveView.as_view(),
        name="order-move",
    ),
    path("studio/orders/", views.StudioOrderListView.as_view(), name="studio-orders"),
    path(
        "studio/shipping/", views.StudioShippingView.as_view(), name="studio-shipping"
    ),
]
