from django.urls import path

from lookout.checkout import views

app_name = "checkout"
urlpatterns = [
    path("return/<uuid:order_id>/", views.payment_return, name="return"),
    # the cart the cookie holds (lookout.cart.holder): token-free addresses
    path("", views.held_checkout, name="held"),
    path("voucher/", views.held_voucher, name="held_voucher"),
    path("<str:token>/", views.checkout, name="start"),
    path("<str:token>/voucher/", views.voucher, name="voucher"),
]
