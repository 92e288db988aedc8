"""The sandbox processor as this installation configures it (read from Django settings).

It runs beside the store in development and tests, so it reads the same settings file; it
imports nothing of the store's. The shared secret is derived here by the same rule as the
store's half derives it (`lookout/payments/sandbox_client.py`), as both sides of a real
processor hold the key the operator gave each; a test keeps the two equal.

Settings (all optional; defaults in brackets):
  LOOKOUT_PAYMENT_SANDBOX_SECRET     shared with the store [derived from SECRET_KEY]
  LOOKOUT_PAYMENT_SANDBOX_DB         its SQLite file [VAR_DIR / "sandbox-processor.sqlite3"]
  LOOKOUT_PAYMENT_SANDBOX_HANG_SECONDS  how long the timeout card hangs [1 in tests, else 15]
  LOOKOUT_PAYMENT_SANDBOX_ABANDON_SECONDS  a page left open this long is expired and purged
                                     of the cardholder name and return URL [3600]
  LOOKOUT_PAYMENT_SANDBOX_WEBHOOK_URL  where it POSTs signed webhooks [outside tests: the
                                     store's own /orders/webhooks/payments/ at the origin of
                                     LOOKOUT_PAYMENT_PROCESSOR_URL; in tests: none, a test
                                     sets `processor.webhook` and calls `deliver_events`]
  LOOKOUT_PAYMENT_SANDBOX_STORE_KEY_URL  where it fetches the store's public key that signs
                                     redaction requests [LOOKOUT_SITE_URL's
                                     /.well-known/lookout-deletion-key.pem]
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from sandbox_processor.app import ABANDON_AFTER_SECONDS, HttpWebhook, SandboxProcessor

WEBHOOK_PATH = "/orders/webhooks/payments/"

_lock = threading.Lock()
_processors: dict[tuple[str, str, float, float], SandboxProcessor] = {}


def shared_secret() -> str:
    """The secret shared by the store and the sandbox; derived from SECRET_KEY unless set."""
    configured = getattr(settings, "LOOKOUT_PAYMENT_SANDBOX_SECRET", "")
    if configured:
        return str(configured)
    label = b"lookout.payments.sandbox-secret"  # its old name: a new one changes every secret
    return hmac.new(settings.SECRET_KEY.encode(), label, hashlib.sha256).hexdigest()


def sandbox_db_path() -> Path:
    default = Path(settings.VAR_DIR) / "sandbox-processor.sqlite3"
    return Path(getattr(settings, "LOOKOUT_PAYMENT_SANDBOX_DB", default))


def hang_seconds() -> float:
    default = 1.0 if getattr(settings, "TESTING", False) else 15.0
    return float(getattr(settings, "LOOKOUT_PAYMENT_SANDBOX_HANG_SECONDS", default))


def abandon_seconds() -> float:
    configured = getattr(settings, "LOOKOUT_PAYMENT_SANDBOX_ABANDON_SECONDS", None)
    return float(configured if configured is not None else ABANDON_AFTER_SECONDS)


def webhook_url() -> str:
    configured = getattr(settings, "LOOKOUT_PAYMENT_SANDBOX_WEBHOOK_URL", None)
    if configured is not None:
        return str(configured)
    if getattr(settings, "TESTING", False):
        return ""
    processor = urlsplit(
        getattr(
            settings, "LOOKOUT_PAYMENT_PROCESSOR_URL", "http://127.0.0.1:8000/sandbox-processor"
        )
    )
    return f"{processor.scheme}://{processor.netloc}{WEBHOOK_PATH}"


KEY_PATH = "/.well-known/lookout-deletion-key.pem"


def store_key_url() -> str:
    configured = getattr(settings, "LOOKOUT_PAYMENT_SANDBOX_STORE_KEY_URL", None)
    if configured is not None:
        return str(configured)
    site = str(getattr(settings, "LOOKOUT_SITE_URL", "") or "").rstrip("/")
    return site + KEY_PATH if site else ""


def default_processor() -> SandboxProcessor:
    """One processor per configuration and process (it opens a connection per request)."""
    key = (str(sandbox_db_path()), shared_secret(), hang_seconds(), abandon_seconds())
    with _lock:
        if key not in _processors:
            url = webhook_url()
            _processors[key] = SandboxProcessor(
                db_path=key[0],
                secret=key[1],
                hang_seconds=key[2],
                abandon_after_seconds=key[3],
                webhook=HttpWebhook(url) if url else None,
                deliver_in_background=bool(url),
                store_key_url=store_key_url(),
            )
        return _processors[key]
