from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "lookout.shipping"
    label = "shipping"
