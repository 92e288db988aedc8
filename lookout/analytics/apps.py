from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "lookout.analytics"
    label = "analytics"
