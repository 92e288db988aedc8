from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "lookout.privacy"
    label = "privacy"
