from django.apps import AppConfig


class VouchersConfig(AppConfig):
    name = "lookout.vouchers"
    label = "vouchers"
