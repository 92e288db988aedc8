from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "lookout.core"
    label = "core"

    def ready(self) -> None:
        from lookout.core.psycopg_cache import allow_longer_statements

        allow_longer_statements()
