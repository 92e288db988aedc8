from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "lookout.sharing"
    label = "sharing"

    def ready(self) -> None:
        # The gate refuses the purpose "instance_consent" unless this check finds the person's
        # unused one-time consent to a disclosure (C5.6).
        from lookout.access.gate import register_consent_check
        from lookout.sharing.consented import has_instance_consent

        register_consent_check(has_instance_consent)
