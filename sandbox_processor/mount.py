"""Serve the sandbox processor beside the store, outside Django, under its own path prefix.

`lookout/wsgi.py` wraps the Django application with `mount_sandbox()`. Requests below
`/sandbox-processor/` go to the processor and never enter Django: the store's middleware,
views, logs and error reports never see the card form (C2.3). Everything else goes to Django
untouched. The sandbox is not mounted in production unless LOOKOUT_PAYMENT_SANDBOX_ENABLED says
so: a real shop talks to a real processor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

PREFIX = "/sandbox-processor"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def sandbox_enabled() -> bool:
    return bool(
        getattr(
            settings, "LOOKOUT_PAYMENT_SANDBOX_ENABLED", not getattr(settings, "PRODUCTION", False)
        )
    )


class SandboxDispatcher:
    """A WSGI app sending `PREFIX/...` to the processor and every other path to the store."""

    def __init__(self, store: WSGIApp, processor: WSGIApp, prefix: str = PREFIX):
        self.store, self.processor, self.prefix = store, processor, prefix.rstrip("/")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        path = environ.get("PATH_INFO", "")
        if path == self.prefix or path.startswith(self.prefix + "/"):
            environ = dict(environ)
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "").rstrip("/") + self.prefix
            environ["PATH_INFO"] = path[len(self.prefix) :] or "/"
            return self.processor(environ, start_response)
        return self.store(environ, start_response)


def mount_sandbox(store: WSGIApp, processor: WSGIApp | None = None) -> WSGIApp:
    """The store's WSGI app with the sandbox processor mounted (or the store alone)."""
    if processor is None:
        if not sandbox_enabled():
            return store
        from lookout.payments.sandbox.config import default_processor

        processor = default_processor()
    return SandboxDispatcher(store, processor)
