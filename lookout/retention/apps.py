from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "lookout.retention"
    label = "retention"
