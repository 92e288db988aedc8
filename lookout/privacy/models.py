"""Subject requests (C6): a person asking to see, correct or erase what the store holds.

A request exists only once its requester is verified (C6.1): a signed-in person re-entered their
password, or a guest proved control of the order's email with a one-time code (`GuestChallenge`).
Every request carries its due date (C6.5) and, when the store holds it back, the stated reasons
the person sees (C6.4). The request record outlives the erasure it carries out: it names no one
(pseudonymous subject id, fixed reason codes, partner names), and its only free text (what a
correction request says is wrong) and the access file are sealed under the person's data key, so
destroying that key erases them too.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from lookout.vault.fields import EncryptedField

DEFAULT_DUE_DAYS = 30


def due_days() -> int:
    """The operator's deadline for answering a request (C6.5), 30 days unless set."""
    return int(getattr(settings, "LOOKOUT_SUBJECT_REQUEST_DAYS", DEFAULT_DUE_DAYS))


def default_due_at():  # type: ignore[no-untyped-def]
    return timezone.now() + timedelta(days=due_days())


class Kind(models.TextChoices):
    ACCESS = "access", "See my data"
    CORRECTION = "correction", "Correct my data"
    DELETION = "deletion", "Delete my data"


class Status(models.TextChoices):
    RECEIVED = "received", "Received, waiting for review"
    IN_PROGRESS = "in_progress", "Being prepared"
    ON_HOLD = "on_hold", "On hold (see the reasons)"
    COMPLETED = "completed", "Completed"
    REFUSED = "refused", "Refused (see the reason)"


OPEN_STATUSES = (Status.RECEIVED, Status.IN_PROGRESS, Status.ON_HOLD)


class Via(models.TextChoices):
    ACCOUNT = "account", "Signed in to the account"
    GUEST = "guest", "Guest, by order number and email code"


class Reason(models.TextChoices):
    """Why a request was refused, held or closed: fixed wording, shown to the person (C6.4)."""

    DONE = "done", "Your request was carried out."
    OPEN_ORDER = "open_order", "An order of yours is still open; we delete once it is delivered."
    REFUND_IN_PROGRESS = "refund_in_progress", "A refund to you is still in progress."
    DISPUTE = "dispute", "A payment dispute about one of your orders is still open."
    INVOICE_RETENTION = (
        "invoice_retention",
        "Tax law makes us keep invoices (order number, date, items, amounts) for 6 years; "
        "they are kept without your name, address or email.",
    )
    NOT_APPLICABLE = "not_applicable", "The data named in the request is not data we hold."
    CANNOT_CORRECT_SHIPPED = (
        "cannot_correct_shipped",
        "The order has already shipped; its shipping record cannot be rewritten.",
    )
    DUPLICATE = "duplicate", "The same request is already open."


MAX_EXTENSION_DAYS = 60


class ExtensionReason(models.TextChoices):
    """Why the officer needs longer to answer (GDPR Art. 12(3), C6.8): fixed wording the person
    sees, so the record holds no typed text."""

    COMPLEX = (
        "complex",
        "Your request is complex: the data it covers is spread over many records and needs "
        "more time to gather and check.",
    )
    MANY_REQUESTS = (
        "many_requests",
        "We have received an unusually large number of requests and need more time to answer "
        "each one properly.",
    )
    PARTNER_ANSWER = (
        "partner_answer",
        "We are waiting for a partner who holds part of the data to answer us.",
    )
    VERIFY_ACCURACY = (
        "verify_accuracy",
        "We need more time to check the data against our records before we change it.",
    )


class SubjectRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(db_index=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    via = models.CharField(max_length=16, choices=Via.choices)
    order_ref = models.UUIDField(null=True, blank=True)  # guests: the order they proved
    created_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField()
    due_at = models.DateTimeField(default=default_due_at, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=32, choices=Reason.choices, blank=True)
    decided_by_role = models.CharField(max_length=32, blank=True)  # role or "system", never who
    # [{"code": Reason, "blocking": bool}], the reasons the store holds the request back (C6.4)
    holds = models.JSONField(default=list, blank=True)
    # Deletion: partners that received this person's data, for follow-up (names of companies)
    partners = models.JSONField(default=list, blank=True)
    # Correction requests: what the person says is wrong, in their words (sealed).
    details = EncryptedField(subject_field="subject", null=True)
    # Access requests: the JSON file (sealed), and when it was built.
    access_file = EncryptedField(subject_field="subject", null=True)
    file_ready_at = models.DateTimeField(null=True, blank=True)
    # Extended once by the officer (C6.8): the due date it had before, when, and why.
    extended_at = models.DateTimeField(null=True, blank=True)
    due_before_extension = models.DateTimeField(null=True, blank=True)
    extension_reason = models.CharField(max_length=32, choices=ExtensionReason.choices, blank=True)

    class Meta:
        ordering = ["due_at", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=Kind.values), name="privacy_request_kind_known"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="privacy_request_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} request {str(self.id)[:8]} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now=None) -> bool:  # type: ignore[no-untyped-def]
        return self.is_open and (now or timezone.now()) > self.due_at

    def hold_reasons(self) -> list[str]:
        return [Reason(h["code"]).label for h in self.holds]

    @property
    def extended(self) -> bool:
        return self.extended_at is not None


class RestrictionGround(models.TextChoices):
    """The person's ground for restriction, as GDPR Art. 18(1) lists them (shown to them)."""

    ACCURACY = "accuracy", "I contest the accuracy of my data (until you have checked it)."
    UNLAWFUL = "unlawful", "The processing is unlawful, and I want it restricted, not erased."
    LEGAL_CLAIMS = (
        "legal_claims",
        "You no longer need the data, but I need it kept for a legal claim.",
    )
    OBJECTION = "objection", "I have objected to the processing (until my objection is decided)."


class LiftReason(models.TextChoices):
    """Why the officer lifted a restriction (fixed wording, shown to the person, C6.9)."""

    ACCURACY_CHECKED = (
        "accuracy_checked",
        "We have checked your data and it is accurate (or has been corrected).",
    )
    OBJECTION_DECIDED = (
        "objection_decided",
        "Your objection has been decided: the store's legitimate grounds were found to override "
        "yours.",
    )
    CLAIM_ENDED = "claim_ended", "The legal claim you needed the data for has ended."
    PERSON_ASKED = "person_asked", "You asked us to lift the restriction."


class ProcessingRestriction(models.Model):
    """A person's restriction of processing (GDPR Art. 18, C6.9), in force until lifted.

    While `lifted_at` is empty, the gate reads the person's data for legal purposes only
    (`access.restrictions`), marketing skips them and analytics records nothing for them.
    Pseudonymous like a request: a subject id and fixed codes, no typed text.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(db_index=True, editable=False)
    ground = models.CharField(max_length=16, choices=RestrictionGround.choices)
    via = models.CharField(max_length=16, choices=Via.choices)
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.CharField(max_length=32, choices=LiftReason.choices, blank=True)
    lifted_by_role = models.CharField(max_length=32, blank=True)  # role, never who

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject"],
                condition=models.Q(lifted_at__isnull=True),
                name="privacy_one_restriction_in_force",
            ),
        ]

    def __str__(self) -> str:
        return f"restriction {str(self.id)[:8]} ({'lifted' if self.lifted_at else 'in force'})"

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None


class GuestChallenge(models.Model):
    """A one-time code sent to an order's email, proving the guest controls it (C6.1).

    Created for every guest form submission, matching order or not, so the answer is the same
    either way; without a matching order (`order_ref` empty) no code is sent and none can ever
    succeed. The code is kept only as a keyed hash; it expires, works once and allows a few tries.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_ref = models.UUIDField(null=True, blank=True)
    subject = models.UUIDField(null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"guest challenge {str(self.id)[:8]}"
