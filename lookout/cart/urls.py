from django.urls import path

from lookout.cart import views

app_name = "cart"
urlpatterns = [
    path("", views.empty, name="empty"),
    path("add/", views.add, name="add"),
    path("<str:token>/", views.detail, name="detail"),
    path("<str:token>/update/", views.update, name="update"),
    path("<str:token>/voucher/", views.voucher, name="voucher"),
]
