from django.apps import AppConfig


class CartConfig(AppConfig):
    name = "lookout.cart"
    label = "cart"
