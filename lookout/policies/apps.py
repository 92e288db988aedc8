from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "lookout.policies"
    label = "policies"
