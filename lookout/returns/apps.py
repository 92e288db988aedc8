from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "lookout.returns"
    label = "returns"
