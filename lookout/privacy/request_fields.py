"""Declarations of the subject-request tables (C2.1), merged into `personal_data.FIELDS`.

Kept apart so the privacy app's declarations of Django's own tables stay untouched.
"""

from __future__ import annotations

from datetime import timedelta

from lookout.core.inventory import NotPersonal, Retention, personal
from lookout.core.purposes import Purpose as P
from lookout.privacy.models import GuestChallenge, ProcessingRestriction, SubjectRequest

# A request record is proof that the store answered (or why it did not): kept 3 years after it
# closed, pseudonymous throughout. Guest challenges are useless after their 15 minutes.
REQUEST_RETENTION = Retention("subject_request", timedelta(days=3 * 365), "the request closed")
CHALLENGE_RETENTION = Retention("guest_challenge", timedelta(days=1), "the code expired")

_PSEUDONYMOUS = "random UUID of the person's data key; names nobody by itself"

REQUEST_FIELDS = {
    SubjectRequest: {
        "id": NotPersonal("random request id", retention=REQUEST_RETENTION),
        "subject": personal(
            "user.unique_id.pseudonymous",
            P.SUBJECT_REQUEST,
            P.LEGAL,
            retention=REQUEST_RETENTION,
            stored_as=_PSEUDONYMOUS,
        ),
        "kind": NotPersonal("access, correction or deletion", retention=REQUEST_RETENTION),
        "status": NotPersonal("where the request stands", retention=REQUEST_RETENTION),
        "via": NotPersonal("signed in or guest", retention=REQUEST_RETENTION),
        "order_ref": NotPersonal(
            "random id of the order a guest proved; names nobody by itself",
            retention=REQUEST_RETENTION,
        ),
        "created_at": NotPersonal("when the request was made", retention=REQUEST_RETENTION),
        "verified_at": NotPersonal("when the requester was verified", retention=REQUEST_RETENTION),
        "due_at": NotPersonal("when the answer is due (C6.5)", retention=REQUEST_RETENTION),
        "decided_at": NotPersonal("when it was decided", retention=REQUEST_RETENTION),
        "decision_reason": NotPersonal(
            "a fixed reason code with fixed wording, never typed text",
            retention=REQUEST_RETENTION,
        ),
        "decided_by_role": NotPersonal(
            "the deciding staff role or 'system', shared by many people",
            retention=REQUEST_RETENTION,
        ),
        "holds": NotPersonal(
            "fixed reason codes for holding the request back", retention=REQUEST_RETENTION
        ),
        "partners": NotPersonal(
            "names of partner companies that received data, for follow-up",
            retention=REQUEST_RETENTION,
        ),
        "details": personal("user.content.private", P.SUBJECT_REQUEST, retention=REQUEST_RETENTION),
        "access_file": personal(
            "user.content.private", P.SUBJECT_REQUEST, retention=REQUEST_RETENTION
        ),
        "file_ready_at": NotPersonal("when the access file was built", retention=REQUEST_RETENTION),
        "extended_at": NotPersonal(
            "when the officer extended the due date (C6.8)", retention=REQUEST_RETENTION
        ),
        "due_before_extension": NotPersonal(
            "the due date before the one extension", retention=REQUEST_RETENTION
        ),
        "extension_reason": NotPersonal(
            "a fixed reason code for the extension, never typed text",
            retention=REQUEST_RETENTION,
        ),
    },
    # A restriction of processing (Art. 18, C6.9): proof that the store kept to it, kept like a
    # request record.
    ProcessingRestriction: {
        "id": NotPersonal("random restriction id", retention=REQUEST_RETENTION),
        "subject": personal(
            "user.unique_id.pseudonymous",
            P.SUBJECT_REQUEST,
            P.LEGAL,
            retention=REQUEST_RETENTION,
            stored_as=_PSEUDONYMOUS,
        ),
        "ground": NotPersonal(
            "which ground of Art. 18(1) the person chose, a fixed code",
            retention=REQUEST_RETENTION,
        ),
        "via": NotPersonal("signed in or guest", retention=REQUEST_RETENTION),
        "created_at": NotPersonal("when it took effect", retention=REQUEST_RETENTION),
        "lifted_at": NotPersonal("when the officer lifted it", retention=REQUEST_RETENTION),
        "lift_reason": NotPersonal(
            "a fixed reason code for lifting it, never typed text", retention=REQUEST_RETENTION
        ),
        "lifted_by_role": NotPersonal(
            "the lifting staff role, shared by many people", retention=REQUEST_RETENTION
        ),
    },
    GuestChallenge: {
        "id": NotPersonal("random challenge id", retention=CHALLENGE_RETENTION),
        "order_ref": NotPersonal(
            "random id of the matching order, if any", retention=CHALLENGE_RETENTION
        ),
        "subject": personal(
            "user.unique_id.pseudonymous",
            P.SUBJECT_REQUEST,
            retention=CHALLENGE_RETENTION,
            stored_as=_PSEUDONYMOUS,
        ),
        "kind": NotPersonal("which request the guest is making", retention=CHALLENGE_RETENTION),
        "code_hash": NotPersonal(
            "keyed HMAC of a random one-time code; the code itself is never stored",
            retention=CHALLENGE_RETENTION,
        ),
        "created_at": NotPersonal("when the code was sent", retention=CHALLENGE_RETENTION),
        "expires_at": NotPersonal("when the code stops working", retention=CHALLENGE_RETENTION),
        "attempts": NotPersonal("wrong tries so far", retention=CHALLENGE_RETENTION),
        "used_at": NotPersonal("when the code was used", retention=CHALLENGE_RETENTION),
    },
}
