from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "lookout.vault"
    label = "vault"

    def ready(self) -> None:
        from lookout.vault import checks  # noqa: F401  (registers the master key check)
