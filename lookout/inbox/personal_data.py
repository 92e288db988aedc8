"""What each inbox field holds, why, for how long (C2.1). See lookout/core/inventory.py."""

from datetime import timedelta

from lookout.core.inventory import Retention, personal
from lookout.core.purposes import Purpose as P
from lookout.inbox.models import Message

# Order and refund notices are part of the order's story; they go with the account's lifetime.
INBOX_RETENTION = Retention("inbox", timedelta(days=3 * 365), "the message was sent")

_READ = (P.SELF_SERVICE, P.SUBJECT_REQUEST)

FIELDS = {
    Message: {
        "id": personal(
            "user.unique_id.pseudonymous",
            *_READ,
            retention=INBOX_RETENTION,
            stored_as="random UUID (row id; names nobody by itself)",
        ),
        "subject": personal(
            "user.unique_id.pseudonymous",
            *_READ,
            P.ACCOUNT_NOTICE,
            retention=INBOX_RETENTION,
            stored_as="random UUID (the id of the recipient's data key)",
        ),
        "kind": personal(
            "user.account",
            *_READ,
            retention=INBOX_RETENTION,
            stored_as="plain message kind on a pseudonymous row",
        ),
        "title": personal(
            "user.content.private", *_READ, P.ACCOUNT_NOTICE, retention=INBOX_RETENTION
        ),
        "body": personal(
            "user.content.private", *_READ, P.ACCOUNT_NOTICE, retention=INBOX_RETENTION
        ),
        "created_at": personal(
            "user.account",
            *_READ,
            retention=INBOX_RETENTION,
            stored_as="plain timestamp on a pseudonymous row",
        ),
        "read_at": personal(
            "user.account",
            *_READ,
            retention=INBOX_RETENTION,
            stored_as="plain timestamp on a pseudonymous row",
        ),
        "dedupe_key": personal(
            "user.unique_id.pseudonymous",
            *_READ,
            retention=INBOX_RETENTION,
            stored_as="sender's name for the message; may hold the pseudonymous subject id",
        ),
    },
}
