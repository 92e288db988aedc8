"""Serve the sandbox processor beside the store, outside Django, under its own path prefix.

`lookout/wsgi.py` wraps the Django application with `mount_sandbox()` where the store wants a
sandbox (outside production: the store decides, `lookout.payments.sandbox_client.
sandbox_mounted`, and in production never imports this package). Requests below
`/sandbox-processor/` go to the processor and never enter Django: the store's middleware,
views, logs and error reports never see the card form (C2.3). Everything else goes to Django
untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

PREFIX = "/sandbox-processor"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


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
    """The store's WSGI app with the sandbox processor (by default, the one the settings
    configure) mounted under PREFIX."""
    if processor is None:
        from sandbox_processor.config import default_processor

        processor = default_processor()
    return SandboxDispatcher(store, processor)
