from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "lookout.catalog"
    label = "catalog"

    def ready(self) -> None:
        from lookout.catalog import cache
        from lookout.core.health import register_metrics

        register_metrics("page_cache", cache.health_figures)
