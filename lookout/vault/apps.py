from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "lookout.vault"
    label = "vault"

    def ready(self) -> None:
        from lookout.core.health import register_check
        from lookout.vault import checks  # noqa: F401  (registers the master key check)
        from lookout.vault.master import master_cache

        # /healthz loads the master keyset as the vault does: unreadable keys fail the check.
        register_check("master_key", master_cache.get)
