from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "lookout.vault"
    label = "vault"
