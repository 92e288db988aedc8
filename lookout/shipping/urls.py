from django.urls import path

from lookout.shipping import views

app_name = "shipping"
urlpatterns = [
    path("webhooks/carrier/", views.carrier_webhook, name="carrier_webhook"),
]
