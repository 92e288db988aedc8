from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "lookout.sharing"
    label = "sharing"
