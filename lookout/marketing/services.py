"""Writes on marketing: compose and send promotions (C3.6), opt out from a link (C3.7).

A promotion goes to the inbox only, never to an email address: the recipient's email is not
read. Who receives it is decided at sending time, recipient by recipient: each delivery re-reads
that person's latest marketing choice in the same transaction that posts the message, holding a
lock on their account row, so an opt-out committed before it means no message.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from lookout.access.restrictions import is_restricted
from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.selectors import marketing_opted_in, users_opted_in_to_marketing
from lookout.accounts.services import record_marketing_choice
from lookout.core.errors import Forbidden, LookoutError
from lookout.inbox.services import send_message
from lookout.marketing.models import Promotion
from lookout.marketing.tokens import opt_out_path, subject_for_token

OPT_OUT_LINK_WORDING = "Opted out with the one-click link in a promotion."
DELIVERY_BATCH = 200


class PromotionError(LookoutError):
    """The promotion cannot be changed or sent in its current state."""


def _check_manager(actor: User) -> None:
    if not (actor.is_authenticated and actor.role == Role.CATALOG_MANAGER):
        raise Forbidden("Only a catalog manager can compose and send promotions.")


@transaction.atomic
def create_promotion(*, title: str, body: str, actor: User) -> Promotion:
    from lookout.audit.services import record

    _check_manager(actor)
    promotion = Promotion.objects.create(title=title.strip(), body=body.strip())
    record(actor=actor, action="promotion.created", target=promotion)
    return promotion


def send_promotion(*, promotion: Promotion, actor: User, site_url: str) -> Promotion:
    """Mark the promotion as sending and hand the deliveries to the task worker."""
    from lookout.audit.services import record
    from lookout.marketing.tasks import deliver_promotion

    _check_manager(actor)
    with transaction.atomic():
        locked = Promotion.objects.select_for_update().get(pk=promotion.pk)
        if locked.status != Promotion.Status.DRAFT:
            raise PromotionError("This promotion has already been sent.")
        locked.status = Promotion.Status.SENDING
        locked.send_started_at = timezone.now()
        locked.site_url = site_url.rstrip("/")
        locked.save(update_fields=["status", "send_started_at", "site_url"])
        record(actor=actor, action="promotion.sent", target=locked)
        transaction.on_commit(lambda: deliver_promotion.enqueue(str(locked.pk)))
    return locked


def _body_with_opt_out(*, promotion: Promotion, subject: uuid.UUID) -> str:
    link = promotion.site_url + opt_out_path(subject=subject)
    return (
        f"{promotion.body}\n\n"
        "You get this because you chose to receive our offers. Prices and checkout are the same "
        f"for everyone. To stop at once, with one click: {link}"
    )


def deliver_to(*, promotion: Promotion, user_id: uuid.UUID) -> bool:
    """Post the promotion to one person's inbox if they are opted in right now; True if posted.

    Exactly once per person and promotion (the inbox dedupe key), so a resumed send is safe.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None or not user.is_active or user.closed_at is not None:
            return False
        if not marketing_opted_in(user=user):
            return False
        if is_restricted(user.subject):  # Art. 18: restricted processing, no promotions (C6.9)
            return False
        message = send_message(
            subject=user.subject,
            kind="promotion",
            title=promotion.title,
            body=_body_with_opt_out(promotion=promotion, subject=user.subject),
            dedupe_key=f"promotion:{promotion.pk}:{user.subject}",
        )
    return message is not None


def deliver_all(*, promotion_id: uuid.UUID) -> int:
    """Deliver to everyone opted in now, in batches by account id; returns messages posted."""
    from lookout.audit.services import record

    promotion = Promotion.objects.get(pk=promotion_id)
    if promotion.status == Promotion.Status.SENT:
        return 0
    posted = 0
    last: uuid.UUID | None = None
    while True:
        candidates = users_opted_in_to_marketing().order_by("pk")
        if last is not None:
            candidates = candidates.filter(pk__gt=last)
        batch = list(candidates.values_list("pk", flat=True)[:DELIVERY_BATCH])
        if not batch:
            break
        posted += sum(deliver_to(promotion=promotion, user_id=pk) for pk in batch)
        last = batch[-1]
    with transaction.atomic():
        Promotion.objects.filter(pk=promotion.pk).update(
            status=Promotion.Status.SENT,
            sent_at=timezone.now(),
            recipients=_delivered_count(promotion),
        )
        record(
            actor=None, action="promotion.delivered", target=promotion, detail={"posted": posted}
        )
    return posted


def _delivered_count(promotion: Promotion) -> int:
    from lookout.inbox.models import Message

    return Message.objects.filter(dedupe_key__startswith=f"promotion:{promotion.pk}:").count()


def opt_out_with_token(*, token: str) -> User | None:
    """The one-click link: record an opt-out at once (if the person is opted in); the person's
    account, or None when the link names no open account. Raises BadToken on a forged link."""
    subject = subject_for_token(token)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(subject=subject).first()
        if user is None or user.closed_at is not None:
            return None
        if marketing_opted_in(user=user):
            record_marketing_choice(
                user=user, opted_in=False, wording=OPT_OUT_LINK_WORDING, source="promotion_link"
            )
    return user
