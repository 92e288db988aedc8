from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "lookout.marketing"
    label = "marketing"
