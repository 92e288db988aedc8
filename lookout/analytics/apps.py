from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "lookout.analytics"
    label = "analytics"

    def ready(self) -> None:
        from lookout.analytics import buffer
        from lookout.core.health import register_metrics

        register_metrics("analytics", buffer.health_figures)
