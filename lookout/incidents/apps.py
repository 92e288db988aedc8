from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "lookout.incidents"
    label = "incidents"
    verbose_name = "Breach incidents"
