"""The secret the store and the sandbox processor share, and what it signs.

One shared secret gives two derived keys: one signs the payment reference the processor puts
on the customer's return redirect (so the store can tell a reference the processor issued from
one a customer typed), the other authenticates the store's server-to-server API calls. HMAC-
SHA256 from the standard library; comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_REFERENCE = re.compile(r"ps_[A-Za-z0-9_-]{16,64}")


def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def _mac(secret: str, reference: str) -> str:
    digest = hmac.new(_derive(secret, "return-reference"), reference.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def sign_reference(secret: str, reference: str) -> str:
    """`<reference>.<mac>`: what the processor appends to the store's return URL as `ref`."""
    return f"{reference}.{_mac(secret, reference)}"


def verify_reference(secret: str, signed: str) -> str | None:
    """The reference when the signature is the processor's, else None."""
    if not isinstance(signed, str) or len(signed) > 200:
        return None
    reference, _, mac = signed.partition(".")
    if not _REFERENCE.fullmatch(reference) or not mac:
        return None
    if not hmac.compare_digest(mac.encode(), _mac(secret, reference).encode()):
        return None
    return reference


def api_key(secret: str) -> str:
    """The bearer token the store sends on every processor API call."""
    return base64.urlsafe_b64encode(_derive(secret, "api-key")).rstrip(b"=").decode()


def api_key_matches(secret: str, presented: str) -> bool:
    return hmac.compare_digest(presented.encode(), api_key(secret).encode())


# --- webhooks ---------------------------------------------------------------------------------

WEBHOOK_HEADER = "Processor-Signature"
WEBHOOK_TOLERANCE_SECONDS = 300


def sign_event(secret: str, body: bytes, timestamp: int) -> str:
    """The webhook signature header: `t=<unix seconds>,v1=<hex HMAC of "<t>.<body>">`. The
    timestamp is inside what is signed, so an old delivery cannot be replayed with a new one."""
    signed = str(timestamp).encode() + b"." + body
    mac = hmac.new(_derive(secret, "webhook"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


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
    expected = sign_event(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(given.encode(), expected.encode())
