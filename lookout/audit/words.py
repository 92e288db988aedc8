"""Audit entries in words, for people reading them (the access file's readable page, the
privacy officer's audit log): what was done, to which fields. The stored codes never change;
only how they are shown does. A code this module does not know reads as its own words
("order.note_added" -> "Order: note added"), so a new action never shows as a raw code."""

from __future__ import annotations

import re

ACTIONS: dict[str, str] = {
    "reveal": "Read personal data",
    "reveal.refused": "Tried to read personal data (refused)",
    "disclosure": "Shared with a partner",
    "disclosure.consented": "Shared with the person's one-off consent",
    "privacy.corrected": "Corrected data at the person's request",
    "privacy.request_extended": "Extended a privacy request's due date",
    "privacy.restriction_requested": "Restricted processing at the person's request",
    "privacy.restriction_lifted": "Lifted a restriction of processing",
    "support.email_search": "Searched conversations by email",
    "desk.email_search": "Searched orders by email",
    "order.placed": "Order placed",
    "order.cancellation": "Order cancelled",
    "order.note_added": "Note added to an order",
    "order.tracking_resent": "Tracking link sent again",
    "payment.started": "Payment started",
    "payment.captured": "Payment taken",
    "payment.refunded": "Payment refunded",
    "payment.voided": "Payment released",
    "retention.run": "Retention run",
    "vault.keys_verified": "Encryption keys checked",
    "keys.rotated": "Encryption keys rotated",
    "policy.published": "Policy published",
    "incident.people_notified": "People told of a breach",
    "staff.created": "Staff account created",
    "staff.invited": "Staff member invited",
    "staff.invitation_accepted": "Staff invitation accepted",
    "staff.role_changed": "Staff role changed",
    "staff.deactivated": "Staff account deactivated",
    "staff.second_factor_reset": "Second factor reset",
    "staff.recovery_code_used": "Recovery code used",
    "staff.display_name_set": "Staff display name set",
}

FIELDS: dict[str, str] = {
    "email": "email address",
    "name": "name",
    "address": "postal address",
    "phone": "phone number",
    "body": "message text",
    "title": "message title",
    "reason": "reason",
    "pseudonym": "name shown",
    "recipient": "recipient",
    "purpose_text": "stated purpose",
    "wording": "words agreed to",
    "ip": "network address",
}


# The last part of a data category ("user.contact.phone_number"), where it differs from a field.
CATEGORIES: dict[str, str] = {
    "phone_number": "phone number",
    "contact": "contact details",
    "financial": "payment details",
    "location": "location",
}

# The record a field belongs to, in words (audit entries name fields "app.Model.field").
RECORDS: dict[str, str] = {
    "User": "account",
    "Delivery": "delivery",
    "SavedAddress": "saved address",
    "Message": "inbox message",
    "OrderNote": "order note",
    "Cancellation": "cancellation",
    "Post": "conversation",
    "Visitor": "question email",
    "Review": "review",
    "Consent": "consent",
}


def _record_words(model: str) -> str:
    known = RECORDS.get(model)
    if known is not None:
        return known
    return re.sub(r"(?<!^)(?=[A-Z])", " ", model).lower()


def _humanize(code: str) -> str:
    return code.replace("_", " ").replace("-", " ").strip()


def action_words(code: str) -> str:
    """An audit action in words."""
    if not code:
        return "—"
    known = ACTIONS.get(code)
    if known is not None:
        return known
    head, _, tail = code.partition(".")
    if tail:
        return f"{_humanize(head).capitalize()}: {_humanize(tail)}"
    return _humanize(head).capitalize()


def field_words(code: str) -> str:
    """A field's name in words: "address" -> "postal address",
    "accounts.User.email" -> "email address (account)", and a data category
    ("user.contact.address") by its last part -> "postal address"."""
    code = str(code)
    if code.startswith(("user.", "system.")):
        last = code.rsplit(".", 1)[1]
        return CATEGORIES.get(last, FIELDS.get(last, _humanize(last)))
    parts = code.split(".")
    if len(parts) == 3:
        _, model, name = parts
        return f"{FIELDS.get(name, _humanize(name))} ({_record_words(model)})"
    return FIELDS.get(code, _humanize(str(code)))


def fields_words(codes: object) -> str:
    """A list of field names in words, or 'none'."""
    if not isinstance(codes, list | tuple) or not codes:
        return "none"
    return ", ".join(field_words(str(code)) for code in codes)
