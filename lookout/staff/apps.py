from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "lookout.staff"
    label = "staff"
