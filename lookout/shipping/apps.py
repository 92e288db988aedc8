from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "lookout.shipping"
    label = "shipping"

    def ready(self) -> None:
        from lookout.shipping.address_rules import install

        install()

        # Redaction requests after an erasure reach the carrier through its privacy desk.
        from lookout.sharing.redaction import register_channel
        from lookout.shipping.redaction import CarrierChannel

        register_channel("carrier", CarrierChannel)
