"""The payment processor's side of erasure (issue 26): redaction requests through the gateway.

`sharing.redaction` signs each request and hands it here for a partner of the payment-processor
kind; it goes to the gateway in use (`gateway.get_gateway`): the sandbox processor's
`POST /api/redactions` (which checks the store's signature with its published key and answers
at once or later), or Stripe's own deletion call (`StripeGateway.request_redaction`). A gateway
that cannot be reached raises `ChannelError`, and the request is tried again later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lookout.payments.gateway import GatewayError, get_gateway
from lookout.sharing.redaction import ChannelError, Outgoing, PartnerAnswer

NO_CALL = (
    "The payment gateway in use has no call for redaction requests: send it by hand and "
    "record the processor's answer."
)


def _answer(data: dict[str, Any]) -> PartnerAnswer:
    when = data.get("confirmed_at")
    return PartnerAnswer(
        status=str(data["status"]),
        reference=str(data.get("reference") or ""),
        confirmed_at=datetime.fromisoformat(when) if isinstance(when, str) else None,
        note=str(data.get("note") or ""),
    )


class ProcessorChannel:
    """`sharing.redaction.Channel` for the payment processor."""

    def send(self, partner: Any, request: Outgoing) -> PartnerAnswer:
        gateway = get_gateway()
        call = getattr(gateway, "request_redaction", None)
        if call is None:
            return PartnerAnswer(status="by_hand", note=NO_CALL)
        try:
            return _answer(call(request.body, request.signature_header))
        except GatewayError as exc:
            raise ChannelError(
                f"The payment processor could not take the request ({exc.status})."
            ) from None

    def check(self, partner: Any, reference: str) -> PartnerAnswer:
        gateway = get_gateway()
        call = getattr(gateway, "redaction_status", None)
        if call is None:
            return PartnerAnswer(status="by_hand", note=NO_CALL)
        try:
            return _answer(call(reference))
        except GatewayError as exc:
            raise ChannelError(
                f"The payment processor could not be asked about the request ({exc.status})."
            ) from None
