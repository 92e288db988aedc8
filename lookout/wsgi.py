"""WSGI entry point served by granian (`lookout serve`).

Outside production the sandbox card processor (`sandbox_processor/`, a WSGI app of its own
standing in for the third party) is mounted under /sandbox-processor/, beside the store. In
production it is not, and its package is not even imported (LOOKOUT_PAYMENT_SANDBOX_ENABLED=1
mounts it on a staging copy).

In production the application refuses to start while the master key file is missing or
unreadable (lookout.vault.checks): serving would only turn every sign-up and order into a 500.
The server stops with the check's message and how to create the file (`lookout keys init`).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lookout.settings")

from lookout.payments.sandbox_client import sandbox_mounted


def with_sandbox(store):
    """The store, with the sandbox processor mounted beside it where this installation wants
    one; elsewhere the processor's package is never imported for serving."""
    if not sandbox_mounted():
        return store
    from sandbox_processor.mount import mount_sandbox

    return mount_sandbox(store)


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


application = with_sandbox(get_wsgi_application())
_refuse_to_start_without_master_key()
