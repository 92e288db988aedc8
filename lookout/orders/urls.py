from django.urls import path

from lookout.orders import views, webhooks

app_name = "orders"
urlpatterns = [
    path("", views.my_orders, name="mine"),
    path("warehouse/", views.warehouse, name="warehouse"),
    path("warehouse/<uuid:order_id>/slip/", views.packing_slip, name="slip"),
    path("warehouse/<uuid:order_id>/processing/", views.start_processing, name="processing"),
    path("warehouse/<uuid:order_id>/ship/", views.ship, name="ship"),
    path("webhooks/payments/", webhooks.payment_webhook, name="payment_webhook"),
    path("guest/<str:token>/", views.guest_order, name="guest"),
    path("guest/<str:token>/cancel/", views.guest_cancel, name="guest_cancel"),
    path("guest/<str:token>/buy-again/", views.guest_buy_again, name="guest_buy_again"),
    path("<str:number>/", views.my_order, name="detail"),
    path("<str:number>/cancel/", views.cancel, name="cancel"),
    path("<str:number>/buy-again/", views.buy_again, name="buy_again"),
]
