from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "lookout.compliance"
    label = "compliance"
