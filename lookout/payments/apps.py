from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "lookout.payments"
    label = "payments"
