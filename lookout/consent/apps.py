from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "lookout.consent"
    label = "consent"
