"""The sandbox carrier's privacy desk: where the store's redaction requests reach the carrier.

A real carrier takes a data-deletion request at its privacy address or API, checks that it
comes from the shipper, deletes the recipient's name, address and phone from its label and
tracking records, and answers with a ticket reference. The sandbox carrier has no label
records of its own (the label is printed from the payload `sharing.disclose` returns, held in
memory only, `carrier.Label`), so its desk checks what a real one would check and answers:

- the request's Ed25519 signature, with the store's published public key (the PEM served at
  `/.well-known/lookout-deletion-key.pem`); a request it cannot verify is refused;
- that it names only fields a carrier is ever sent (the carrier kind's allowlist) and the
  parcels by tracking number;

then confirms at once with its own reference. `SandboxCarrierDesk.received` keeps the requests
it verified in this process, as the carrier's ticket system would (tests read it).
"""

from __future__ import annotations

import json
import secrets
import threading
from typing import Any, ClassVar

from django.utils import timezone

from lookout.sharing import signing
from lookout.sharing.redaction import ChannelError, Outgoing, PartnerAnswer


class SandboxCarrierDesk:
    received: ClassVar[list[dict[str, Any]]] = []
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, public_key_pem: bytes | None = None):
        self.public_key_pem = public_key_pem

    def take(self, raw: bytes, signature_header: str) -> dict[str, Any]:
        """What the carrier's endpoint does with a POSTed request: verify, check, confirm."""
        from lookout.sharing.allowlist import category_allowed

        pem = self.public_key_pem or signing.public_key_pem()  # as published
        parts = dict(p.split("=", 1) for p in signature_header.split(",") if "=" in p)
        try:
            signing.verify_bytes(raw, parts.get("ed25519", ""), key=signing.load_public_key(pem))
        except signing.SignatureInvalid as exc:
            raise ChannelError("The carrier refused the request: bad signature.") from exc
        body = json.loads(raw)
        if body.get("type") != "lookout-redaction-request" or body.get("kind") != "carrier":
            raise ChannelError("The carrier refused the request: not a carrier's request.")
        if not all(category_allowed("carrier", c) for c in body.get("categories", [])):
            raise ChannelError("The carrier refused the request: data it was never sent.")
        ticket = {
            "reference": "SBXPRIV-" + secrets.token_hex(6).upper(),
            "request": body["request"],
            "fields": body["fields"],
            "records": body["records"],
            "confirmed_at": timezone.now(),
        }
        with self._lock:
            self.received.append(ticket)
        return ticket


class CarrierChannel:
    """`sharing.redaction.Channel` for the carrier: the request goes to its privacy desk."""

    def __init__(self, desk: SandboxCarrierDesk | None = None):
        self.desk = desk or SandboxCarrierDesk()

    def send(self, partner: Any, request: Outgoing) -> PartnerAnswer:
        ticket = self.desk.take(request.raw, request.signature_header)
        return PartnerAnswer(
            status="confirmed", reference=ticket["reference"], confirmed_at=ticket["confirmed_at"]
        )

    def check(self, partner: Any, reference: str) -> PartnerAnswer:
        # The sandbox desk confirms on receipt; a request is never left pending with it.
        return PartnerAnswer(status="confirmed", reference=reference)
