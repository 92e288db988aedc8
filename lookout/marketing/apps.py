from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "lookout.marketing"
    label = "marketing"

    def ready(self) -> None:
        # The gate refuses purposes outside the fixed list unless this check finds the person's
        # consent for exactly that purpose (C3.8).
        from lookout.access.gate import register_consent_check
        from lookout.marketing.repurpose import has_active_consent

        register_consent_check(has_active_consent)
