from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "lookout.orders"
    label = "orders"
