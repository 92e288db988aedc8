"""What the sandbox processor signs with the secret it shares with the store.

One shared secret gives derived keys: one signs the payment reference the processor puts on
the customer's return redirect (so the store can tell a reference the processor issued from
one a customer typed), one authenticates the store's server-to-server API calls, one signs
webhooks. HMAC-SHA256 from the standard library; comparisons are constant-time.

This is the processor's half. The store's half (checking a return reference and a webhook,
presenting the API key) is `lookout/payments/sandbox_client.py`, written to the same rules as
a store's client is written to a real processor's documentation; the tests sign here and verify
there, so the two halves cannot drift apart unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def sign_reference(secret: str, reference: str) -> str:
    """`<reference>.<mac>`: what the processor appends to the store's return URL as `ref`."""
    digest = hmac.new(_derive(secret, "return-reference"), reference.encode(), hashlib.sha256)
    mac = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    return f"{reference}.{mac}"


def api_key(secret: str) -> str:
    """The bearer token the store must present on every API call."""
    return base64.urlsafe_b64encode(_derive(secret, "api-key")).rstrip(b"=").decode()


def api_key_matches(secret: str, presented: str) -> bool:
    return hmac.compare_digest(presented.encode(), api_key(secret).encode())


# --- webhooks ---------------------------------------------------------------------------------

WEBHOOK_HEADER = "Processor-Signature"


def sign_event(secret: str, body: bytes, timestamp: int) -> str:
    """The webhook signature header: `t=<unix seconds>,v1=<hex HMAC of "<t>.<body>">`. The
    timestamp is inside what is signed, so an old delivery cannot be replayed with a new one."""
    signed = str(timestamp).encode() + b"." + body
    mac = hmac.new(_derive(secret, "webhook"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"
