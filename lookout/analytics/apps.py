from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "lookout.analytics"
    label = "analytics"

    def ready(self) -> None:
        # Declares its write-buffer counters and queue gauge (lookout.core.metrics), for /healthz.
        from lookout.analytics import buffer  # noqa: F401
