from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "lookout.payments"
    label = "payments"

    def ready(self) -> None:
        # Redaction requests after an erasure reach the processor through the gateway.
        from lookout.payments.redaction import ProcessorChannel
        from lookout.sharing.redaction import register_channel

        register_channel("payment_processor", ProcessorChannel)
