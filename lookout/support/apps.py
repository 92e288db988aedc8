from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "lookout.support"
    label = "support"
