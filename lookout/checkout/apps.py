from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "lookout.checkout"
    label = "checkout"
