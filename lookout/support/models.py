"""Customer service: conversations between a person and the store's staff (issue 23).

A conversation is about one person, named only by the pseudonymous `subject` (the account's, or
a guest order's own), and every word in it is sealed under that person's data key: erasure
crypto-shreds it with the rest of their data, in the database and in old backups. Staff read the
words only through the gate, with the purpose of their role's job (C4.4).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from lookout.vault.fields import EncryptedField


class Topic(models.TextChoices):
    ORDER = "order", "An order"
    PRODUCT = "product", "A product, before buying"
    GENERAL = "general", "A general question"


class State(models.TextChoices):
    WAITING_FOR_US = "waiting", "Waiting for our answer"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


class Visitor(models.Model):
    """Someone without an account or order who asks about a product before buying, once they
    prove control of an email with a one-time code. Their own data key (`subject`) seals the
    email, which the store uses only to send the code and to say that an answer waits."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(db_index=True, editable=False)
    email = EncryptedField(subject_field="subject")
    email_index = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"visitor {str(self.id)[:8]}"


class Conversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(db_index=True, editable=False)
    topic = models.CharField(max_length=16, choices=Topic.choices)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visitor = models.ForeignKey(
        Visitor, null=True, blank=True, on_delete=models.CASCADE, related_name="conversations"
    )
    # The asker ticked "publish my question and your answer on the product page" (never
    # their name); staff still decide, and edit what is published (PublicQuestion).
    publish_ok = models.BooleanField(default=False)
    # Opened by a guest (order link and number) rather than a signed-in account: replies are
    # shown on the guest's order page, and no email notice is sent (the guest chose none).
    guest = models.BooleanField(default=False)
    # Whose queue holds it: after-sales first; staff hand it over (finance, privacy officer).
    role = models.CharField(max_length=32, default="after_sales", db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING_FOR_US)
    opened_at = models.DateTimeField(default=timezone.now)
    first_reply_due = models.DateField()
    first_reply_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["first_reply_due", "opened_at", "id"]
        indexes = [models.Index(fields=["role", "state", "first_reply_due"])]

    def __str__(self) -> str:
        # Never the words: this string may reach logs and error reports.
        return f"conversation {str(self.id)[:8]}"

    def is_overdue(self, today: object = None) -> bool:
        """No first reply yet and its due day is past (C1.9)."""
        day = today or timezone.localdate()
        return self.first_reply_at is None and self.first_reply_due < day  # type: ignore[operator]


class Author(models.TextChoices):
    CUSTOMER = "customer", "You"
    STAFF = "staff", "Our staff"
    NOTE = "note", "Internal note"  # staff only, never shown to the customer


class Post(models.Model):
    """One message in a conversation, or an internal staff note on it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.UUIDField(db_index=True, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="posts")
    author = models.CharField(max_length=16, choices=Author.choices)
    author_role = models.CharField(max_length=32, blank=True)  # staff: the role, never who
    body = EncryptedField(subject_field="subject")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.author} post {str(self.id)[:8]}"


class PublicQuestion(models.Model):
    """A question about a product and the store's answer, shown on the product page because the
    asker agreed. The words are the ones staff published (reviewed and edited to hold nothing
    about the asker); the asker is never shown. It goes with its conversation (erasure,
    retention), so it never outlives the asker's data."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="public_questions"
    )
    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="public_question"
    )
    question = models.TextField()
    answer = models.TextField()
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at", "id"]

    def __str__(self) -> str:
        return f"public question {str(self.id)[:8]}"


class NoticeChoice(models.Model):
    """Whether a signed-in customer wants an email when a new message waits for them (off until
    they choose it). The email carries no personal content (issue 23, item 6)."""

    subject = models.UUIDField(primary_key=True, editable=False)
    email_on_message = models.BooleanField(default=False)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "notice choice"


class RequestLink(models.Model):
    """A privacy request (access, correction, deletion) that came from this conversation (issue
    23, item 3): the privacy officer sees the conversation from the request and the request from
    the conversation. The request is named by its id only, as this app sits below the privacy
    app (import layers); the request record itself is the privacy app's and outlives this row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="request_links"
    )
    request_id = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=16)  # access, correction or deletion
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "request_id"], name="support_request_link_once"
            )
        ]

    def __str__(self) -> str:
        return f"request link {str(self.id)[:8]}"


class VisitorRequestCode(models.Model):
    """A one-time code emailed to a visitor's proved address before a privacy request is made
    from their conversation (C6.1: the same check as a guest's, a code to the email on record).
    Kept only as a keyed digest; 15 minutes, used once, 5 tries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="request_codes")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"visitor request code {str(self.id)[:8]}"


class StaffNoticeChoice(models.Model):
    """Whether a staff member wants an email when a conversation waits in their role's queue or
    becomes overdue (off until they choose it). The email names nobody (staff_alerts)."""

    user = models.OneToOneField(
        "accounts.User", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    email_on_waiting = models.BooleanField(default=False)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return "staff notice choice"


class StaffAlert(models.Model):
    """One staff email event for one conversation ("waiting:<role>", "overdue:<role>"), claimed
    before sending so that no event is mailed twice (staff_alerts)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=48)
    at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "event"], name="support_alert_once")
        ]

    def __str__(self) -> str:
        return f"staff alert {str(self.id)[:8]}"
