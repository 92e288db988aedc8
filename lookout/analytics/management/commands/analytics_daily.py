"""`lookout analytics_daily`: roll up yesterday and purge expired analytics data (for cron)."""

from django.core.management.base import BaseCommand

from lookout.analytics import services


class Command(BaseCommand):
    help = "Roll up yesterday's analytics events and purge expired raw events and salts."
    requires_system_checks: list = []

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        result = services.run_daily()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in result.items()))
