from django.urls import path

from lookout.cart import views

app_name = "cart"
urlpatterns = [
    path("", views.empty, name="empty"),
    path("add/", views.add, name="add"),
    # the cart the cookie holds (lookout.cart.holder): token-free addresses
    path("update/", views.held_update, name="held_update"),
    path("voucher/", views.held_voucher, name="held_voucher"),
    path("<str:token>/", views.detail, name="detail"),
    path("<str:token>/update/", views.update, name="update"),
    path("<str:token>/voucher/", views.voucher, name="voucher"),
]
