from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "lookout.catalog"
    label = "catalog"

    def ready(self) -> None:
        # Declares its page-cache counters (lookout.core.metrics), which /healthz shows.
        from lookout.catalog import cache  # noqa: F401
