"""Partners, their data agreements, and the ledger of what was disclosed to them (C5).

Only three kinds of partner exist (C5.1, C5.5): the kind column is limited by model choices,
by a database CHECK constraint (so not even a raw INSERT can add a fourth kind) and by
`lookout.sharing.services.register_partner`. Personal data leaves to a partner only through
`lookout.sharing.services.disclose`, which writes one `Disclosure` row per transfer (C5.4).
The ledger holds the pseudonymous subject id and field NAMES, never values.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from lookout.core.purposes import Purpose
from lookout.vault.fields import EncryptedField


class PartnerKind(models.TextChoices):
    CARRIER = "carrier", "Logistics carrier"
    PAYMENT_PROCESSOR = "payment_processor", "Payment processor"
    DISPUTE_RESOLUTION = "dispute_resolution", "Dispute-resolution vendor"


class Partner(models.Model):
    """A company personal data may be sent to. Never deleted: the ledger points at it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=32, choices=PartnerKind.choices)
    active = models.BooleanField(default=True)
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="sharing_partner_name_unique"),
            models.CheckConstraint(
                condition=models.Q(kind__in=PartnerKind.values),
                name="sharing_partner_kind_allowed",
                violation_error_message="A partner must be a carrier, a payment processor or "
                "a dispute-resolution vendor.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class DataAgreementQuerySet(models.QuerySet["DataAgreement"]):
    def valid_on(self, day: date) -> DataAgreementQuerySet:
        """Agreements in force on `day`: signed on or before it, expiring after it."""
        return self.filter(signed_on__lte=day, expires_on__gt=day)


class DataAgreement(models.Model):
    """A signed data-processing agreement with a partner (C5.2).

    It is in force from `signed_on` (inclusive) until `expires_on` (exclusive): on the expiry
    date itself nothing more may be sent. An agreement recorded with a future signing date is
    not in force yet.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="agreements")
    signed_on = models.DateField()
    expires_on = models.DateField()
    document_reference = models.CharField(max_length=200)
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = DataAgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__gt=models.F("signed_on")),
                name="sharing_agreement_expires_after_signing",
            ),
        ]

    def __str__(self) -> str:
        return f"agreement {self.document_reference} ({self.signed_on} to {self.expires_on})"

    def valid_on(self, day: date) -> bool:
        return self.signed_on <= day < self.expires_on


class Disclosure(models.Model):
    """One transfer of one person's data to one partner (C5.4). Appended, never changed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="disclosures")
    subject = models.UUIDField(db_index=True, editable=False)
    fields = models.JSONField(default=list)  # ["orders.Delivery.name", ...]
    categories = models.JSONField(default=list)  # ["user.name", ...]
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    at = models.DateTimeField(default=timezone.now)
    actor_ref = models.CharField(max_length=36)  # a staff/customer subject id, or "system"
    target = models.CharField(max_length=200)  # "orders.Delivery:<uuid>"

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"disclosure to {self.partner_id} for {self.purpose}"


class InstanceConsent(models.Model):
    """A person's consent to ONE disclosure outside the partner system (C5.6).

    Names the recipient, the fields and the purpose in the person's own words (sealed: a
    recipient may be a person and a purpose may name one), with the wording shown when they
    agreed. It is good for one disclosure only: `used_at` is set in the same transaction as the
    disclosure, so a second use is refused.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(db_index=True, editable=False)
    recipient = EncryptedField(subject_field="subject")
    fields = models.JSONField(default=list)  # ["orders.Delivery.address", ...]
    purpose_text = EncryptedField(subject_field="subject")
    wording = EncryptedField(subject_field="subject")
    granted_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["granted_at", "id"]

    def __str__(self) -> str:
        return f"consent to one disclosure ({'used' if self.used_at else 'unused'})"


class ConsentedDisclosure(models.Model):
    """The ledger row of one disclosure made under an `InstanceConsent` (C5.4, C5.6).

    Kept apart from `Disclosure`, whose rows always name a registered partner; like it, it
    holds field NAMES and the pseudonymous subject, never values. The recipient is on the
    consent, sealed under the person's key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consent = models.OneToOneField(
        InstanceConsent, on_delete=models.PROTECT, related_name="disclosure"
    )
    subject = models.UUIDField(db_index=True, editable=False)
    fields = models.JSONField(default=list)
    at = models.DateTimeField(default=timezone.now)
    actor_ref = models.CharField(max_length=36)
    target = models.CharField(max_length=200)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return "disclosure under a one-time consent"


class DeletionCertificate(models.Model):
    """What the store tells an erased person it did (issue 26): when their data key was
    destroyed, and (through its `RedactionRequest`s) which partners were asked to forget them
    and when each confirmed. It names nobody: the reference is the one the person was given
    when they asked (derived from their request, `lookout.sharing.redaction`), and the
    subject appears only as a keyed digest. The signed document is built when fetched, so it
    always shows the confirmations received so far.
    """

    reference = models.CharField(primary_key=True, max_length=40, editable=False)
    subject_ref = models.CharField(max_length=64, editable=False)
    key_destroyed_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"deletion certificate {self.reference[:6]}…"


class RedactionStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be sent"
    SENT = "sent", "Sent; waiting for the partner's confirmation"
    CONFIRMED = "confirmed", "Confirmed by the partner"
    BY_HAND = "by_hand", "No automatic channel: the privacy officer sends it and records the answer"


class RedactionRequest(models.Model):
    """A signed request to one partner to forget what it was sent about one erased person.

    Like the ledger it holds field NAMES, the pseudonymous subject and the partner's own record
    references (tracking numbers, payment session ids), never values. Sent by the task
    `lookout.sharing.tasks.send_redactions` with retries; `due_at` is when the partner's
    confirmation is due, after which the request is overdue and shown to the privacy officer.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    certificate = models.ForeignKey(
        DeletionCertificate, on_delete=models.PROTECT, related_name="redactions"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="redactions")
    subject = models.UUIDField(db_index=True, editable=False)
    fields = models.JSONField(default=list)  # ["orders.Delivery.name", ...]
    categories = models.JSONField(default=list)
    records = models.JSONField(default=list)  # the partner's references: ["SBX…", "ps_…"]
    status = models.CharField(
        max_length=16, choices=RedactionStatus.choices, default=RedactionStatus.QUEUED
    )
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    partner_reference = models.CharField(max_length=100, blank=True, default="")
    # Why the last attempt failed, or what is left to do by hand: fixed wording, never a
    # partner's free text.
    note = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RedactionStatus.values),
                name="sharing_redaction_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"redaction request to {self.partner_id} ({self.status})"

    def is_overdue(self, now=None) -> bool:  # type: ignore[no-untyped-def]
        return self.status != RedactionStatus.CONFIRMED and (now or timezone.now()) > self.due_at
