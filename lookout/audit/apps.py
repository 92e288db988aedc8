from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "lookout.audit"
    label = "audit"
