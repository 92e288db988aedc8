"""What each customer-service field holds, why, for how long (C2.1); see core/inventory.py."""

from datetime import timedelta

from lookout.core.inventory import (
    ACCOUNT_LIFETIME,
    CACHE_RETENTION,
    NotPersonal,
    Retention,
    personal,
)
from lookout.core.purposes import Purpose as P
from lookout.support.models import (
    Conversation,
    NoticeChoice,
    Post,
    PublicQuestion,
    RequestLink,
    StaffAlert,
    StaffNoticeChoice,
    Visitor,
    VisitorRequestCode,
)

# A conversation is kept 2 years after it was closed (or went quiet), then deleted with its
# messages (lookout/support/retention.py, C4.6).
SUPPORT_RETENTION = Retention("support", timedelta(days=2 * 365), "the conversation was closed")
R = SUPPORT_RETENTION

# The person's own view and access file, the store showing a verified guest their conversation,
# and the staff roles a conversation can be with, each for its own job.
READ_FOR = (
    P.SELF_SERVICE,
    P.SUBJECT_REQUEST,
    P.ACCOUNT_NOTICE,
    P.AFTER_SALES,
    P.REFUND,
)

FIELDS = {
    Conversation: {
        "id": NotPersonal("random conversation id", retention=R),
        "subject": NotPersonal(
            "pseudonymous id of the person asking; names nobody without the vault", retention=R
        ),
        "topic": NotPersonal("what kind of question (order, product or general)", retention=R),
        "order": NotPersonal("which order the question is about", retention=R),
        "product": NotPersonal("which product a question before buying is about", retention=R),
        "visitor": NotPersonal("which verified visitor asked (row itself declared)", retention=R),
        "publish_ok": NotPersonal(
            "whether the asker agreed to publish (without them)", retention=R
        ),
        "guest": NotPersonal("whether it was opened through a guest order link", retention=R),
        "role": NotPersonal("which staff role's queue holds it", retention=R),
        "state": NotPersonal("waiting, answered or closed", retention=R),
        "opened_at": NotPersonal("when opened", retention=R),
        "first_reply_due": NotPersonal("the day the first answer is due (C1.9)", retention=R),
        "first_reply_at": NotPersonal("when first answered", retention=R),
        "last_message_at": NotPersonal("when last written in", retention=R),
        "closed_at": NotPersonal("when closed (starts the retention period)", retention=R),
    },
    Post: {
        "id": NotPersonal("random message id", retention=R),
        "subject": NotPersonal(
            "pseudonymous id of the person the conversation is with (their data key's id)",
            retention=R,
        ),
        "conversation": NotPersonal("which conversation", retention=R),
        "author": NotPersonal("customer, staff or internal note", retention=R),
        "author_role": NotPersonal("the staff role that wrote it, never who", retention=R),
        "body": personal("user.content.private", *READ_FOR, retention=R),
        "at": NotPersonal("when written", retention=R),
    },
    Visitor: {
        "id": NotPersonal("random row id", retention=R),
        "subject": NotPersonal(
            "pseudonymous id of the visitor's own data key; names nobody without the vault",
            retention=R,
        ),
        "email": personal("user.contact.email", P.ACCOUNT_NOTICE, P.SUBJECT_REQUEST, retention=R),
        "email_index": personal(
            "user.contact.email",
            P.AFTER_SALES,
            retention=R,
            stored_as="keyed HMAC digest (blind index) for staff's exact-email search",
        ),
        "code_hash": NotPersonal("keyed digest of a one-time code, useless after it", retention=R),
        "created_at": NotPersonal("when the code was asked for", retention=R),
        "expires_at": NotPersonal("when the code stops working", retention=R),
        "attempts": NotPersonal("wrong codes typed", retention=R),
        "verified_at": NotPersonal("when the email was proved", retention=R),
    },
    RequestLink: {
        "id": NotPersonal("random row id", retention=R),
        "conversation": NotPersonal("the conversation the request came from", retention=R),
        "request_id": NotPersonal(
            "id of the privacy request made from it (the request record is the privacy app's)",
            retention=R,
        ),
        "kind": NotPersonal("access, correction or deletion", retention=R),
        "linked_at": NotPersonal("when the request was made", retention=R),
    },
    VisitorRequestCode: {
        "id": NotPersonal("random row id", retention=CACHE_RETENTION),
        "visitor": NotPersonal("which visitor the code was sent to", retention=CACHE_RETENTION),
        "conversation": NotPersonal(
            "the conversation the request is made from", retention=CACHE_RETENTION
        ),
        "kind": NotPersonal(
            "what the visitor asked for (see or delete)", retention=CACHE_RETENTION
        ),
        "code_hash": NotPersonal(
            "keyed digest of a one-time code, useless after it", retention=CACHE_RETENTION
        ),
        "created_at": NotPersonal("when the code was asked for", retention=CACHE_RETENTION),
        "expires_at": NotPersonal("when the code stops working", retention=CACHE_RETENTION),
        "attempts": NotPersonal("wrong codes typed", retention=CACHE_RETENTION),
        "used_at": NotPersonal("when the code was used", retention=CACHE_RETENTION),
    },
    PublicQuestion: {
        "id": NotPersonal("random row id", retention=R),
        "product": NotPersonal("which product page shows it", retention=R),
        "conversation": NotPersonal("which conversation it came from (never shown)", retention=R),
        "question": NotPersonal(
            "the question as staff published it, reviewed to hold nothing about the asker; "
            "deleted with its conversation",
            retention=R,
        ),
        "answer": NotPersonal("the store's published answer", retention=R),
        "published_at": NotPersonal("when published", retention=R),
    },
    StaffNoticeChoice: {
        "user": personal(
            "user.unique_id.pseudonymous",
            P.ACCOUNT_NOTICE,
            P.SELF_SERVICE,
            retention=ACCOUNT_LIFETIME,
            stored_as="link to a staff account (staff are people too)",
        ),
        "email_on_waiting": personal(
            "user.account.settings",
            P.ACCOUNT_NOTICE,
            P.SELF_SERVICE,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain yes/no: email me when a conversation waits in my role's queue",
        ),
        "changed_at": personal(
            "user.account.settings",
            P.SELF_SERVICE,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain timestamp",
        ),
    },
    StaffAlert: {
        "id": NotPersonal("random row id", retention=R),
        "conversation": NotPersonal("which conversation the staff email was about", retention=R),
        "event": NotPersonal("waiting or overdue, and the role told", retention=R),
        "at": NotPersonal("when the staff email went out", retention=R),
        "recipients": NotPersonal("how many staff were emailed", retention=R),
    },
    NoticeChoice: {
        "subject": personal(
            "user.unique_id.pseudonymous",
            P.SELF_SERVICE,
            P.SUBJECT_REQUEST,
            P.ACCOUNT_NOTICE,
            retention=ACCOUNT_LIFETIME,
            stored_as="random UUID (the id of the person's data key)",
        ),
        "email_on_message": personal(
            "user.account.settings",
            P.SELF_SERVICE,
            P.SUBJECT_REQUEST,
            P.ACCOUNT_NOTICE,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain yes/no on a pseudonymous row",
        ),
        "changed_at": personal(
            "user.account.settings",
            P.SELF_SERVICE,
            P.SUBJECT_REQUEST,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain timestamp on a pseudonymous row",
        ),
    },
}
