from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "lookout.access"
    label = "access"
