"""WSGI entry point served by granian (`lookout serve`).

Outside production the sandbox card processor (a separate WSGI app standing in for the third
party) is mounted under /sandbox-processor/, beside the store.

In production the application refuses to start while the master key file is missing or
unreadable (lookout.vault.checks): serving would only turn every sign-up and order into a 500.
The server stops with the check's message and how to create the file (`lookout keys init`).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lookout.settings")

from lookout.payments.sandbox.mount import mount_sandbox


def _refuse_to_start_without_master_key() -> None:
    from django.conf import settings
    from django.core import checks
    from django.core.exceptions import ImproperlyConfigured

    from lookout.vault.checks import MASTER_KEY_TAG

    if not settings.PRODUCTION:
        return
    errors = [
        message
        for message in checks.run_checks(tags=[MASTER_KEY_TAG], include_deployment_checks=True)
        if message.is_serious()
    ]
    if errors:
        raise ImproperlyConfigured(
            "Lookout will not start: "
            + " ".join(f"{error.msg} {error.hint} ({error.id})" for error in errors)
        )


application = mount_sandbox(get_wsgi_application())
_refuse_to_start_without_master_key()
