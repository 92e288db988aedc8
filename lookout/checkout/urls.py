from django.urls import path

from lookout.checkout import views

app_name = "checkout"
urlpatterns = [
    path("return/<uuid:order_id>/", views.payment_return, name="return"),
    path("<str:token>/", views.checkout, name="start"),
    path("<str:token>/voucher/", views.voucher, name="voucher"),
]
