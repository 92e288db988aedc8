from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "lookout.shipping"
    label = "shipping"

    def ready(self) -> None:
        from lookout.shipping.address_rules import install

        install()
