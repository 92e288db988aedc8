"""The store's side of the sandbox processor's protocol: the secret, and checking signatures.

The sandbox processor (`sandbox_processor/`, beside this package) stands in for an outside
service, so the store holds its own client half, as it would for a real processor: the shared
secret as this installation configures it, the bearer key it presents on API calls, and the
checks of what the processor signs (the reference on the customer's return, webhooks). None of
this imports the processor: a store talking to a sandbox run elsewhere (LOOKOUT_PAYMENT_
PROCESSOR_URL) needs only this module and the HTTP API. The rules are those of
`sandbox_processor/signing.py`; the tests sign there and verify here.

Settings (optional):
  LOOKOUT_PAYMENT_SANDBOX_SECRET     shared with the processor [derived from SECRET_KEY]
  LOOKOUT_PAYMENT_SANDBOX_ENABLED    serve the processor beside the store [outside production]
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from django.conf import settings

WEBHOOK_HEADER = "Processor-Signature"
# The store's signature on a redaction request, checked by the processor with the store's
# published Ed25519 key (sandbox_processor/app.py); the processor's id for the request.
REDACTION_HEADER = "Lookout-Signature"
REDACTION_ID = re.compile(r"rd_[A-Za-z0-9_-]{16,64}")
WEBHOOK_TOLERANCE_SECONDS = 300

_REFERENCE = re.compile(r"ps_[A-Za-z0-9_-]{16,64}")
# The processor derives the same secret by the same rule (sandbox_processor/config.py): both
# halves run from this installation's settings, as a store and a processor each hold the key
# the operator gave them. A test keeps the two equal.
SECRET_LABEL = b"lookout.payments.sandbox-secret"


def shared_secret() -> str:
    """The secret shared by the store and the sandbox; derived from SECRET_KEY unless set."""
    configured = getattr(settings, "LOOKOUT_PAYMENT_SANDBOX_SECRET", "")
    if configured:
        return str(configured)
    return hmac.new(settings.SECRET_KEY.encode(), SECRET_LABEL, hashlib.sha256).hexdigest()


def sandbox_mounted() -> bool:
    """Whether this installation serves the sandbox processor beside the store: outside
    production, or where LOOKOUT_PAYMENT_SANDBOX_ENABLED says so (a staging copy)."""
    return bool(
        getattr(
            settings, "LOOKOUT_PAYMENT_SANDBOX_ENABLED", not getattr(settings, "PRODUCTION", False)
        )
    )


def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def api_key(secret: str) -> str:
    """The bearer token the store sends on every processor API call."""
    return base64.urlsafe_b64encode(_derive(secret, "api-key")).rstrip(b"=").decode()


def verify_reference(secret: str, signed: str) -> str | None:
    """The reference when the signature is the processor's, else None."""
    if not isinstance(signed, str) or len(signed) > 200:
        return None
    reference, _, mac = signed.partition(".")
    if not _REFERENCE.fullmatch(reference) or not mac:
        return None
    digest = hmac.new(_derive(secret, "return-reference"), reference.encode(), hashlib.sha256)
    expected = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    if not hmac.compare_digest(mac.encode(), expected.encode()):
        return None
    return reference


def verify_event(
    secret: str,
    body: bytes,
    header: str,
    *,
    now: float,
    tolerance: int = WEBHOOK_TOLERANCE_SECONDS,
) -> bool:
    """True when `header` is the processor's signature of `body`, made within `tolerance`
    seconds of `now` (a delivery recorded and sent again later is refused)."""
    if not isinstance(header, str) or len(header) > 200:
        return False
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp, given = int(parts["t"]), parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    signed = str(timestamp).encode() + b"." + body
    expected = hmac.new(_derive(secret, "webhook"), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.encode(), expected.encode())
