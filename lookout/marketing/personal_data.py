"""What each marketing field holds, why, for how long (C2.1). See lookout/core/inventory.py."""

from datetime import timedelta

from lookout.core.inventory import CONSENT_RETENTION, NotPersonal, Retention, personal
from lookout.core.purposes import Purpose as P
from lookout.marketing.models import Promotion, PurposeConsent

# A promotion is the shop's own text; kept a year for the record of what was sent.
PROMOTION_RETENTION = Retention("promotion", timedelta(days=365), "the promotion was sent")

_P = PROMOTION_RETENTION
_C = CONSENT_RETENTION
_READ = (P.SELF_SERVICE, P.SUBJECT_REQUEST, P.LEGAL)

FIELDS = {
    Promotion: {
        "id": NotPersonal("random id", retention=_P),
        "title": NotPersonal("the shop's own promotional text, same for everyone", retention=_P),
        "body": NotPersonal("the shop's own promotional text, same for everyone", retention=_P),
        "status": NotPersonal("draft, sending or sent", retention=_P),
        "created_at": NotPersonal("when composed", retention=_P),
        "send_started_at": NotPersonal("when sending started", retention=_P),
        "sent_at": NotPersonal("when sending finished", retention=_P),
        "recipients": NotPersonal("how many inboxes received it (a count)", retention=_P),
        "site_url": NotPersonal("the shop's own address, for the opt-out link", retention=_P),
    },
    PurposeConsent: {
        "id": personal(
            "user.unique_id.pseudonymous",
            *_READ,
            retention=_C,
            stored_as="random UUID (row id; names nobody by itself)",
        ),
        "subject": personal(
            "user.unique_id.pseudonymous",
            *_READ,
            retention=_C,
            stored_as="random UUID (the id of the person's data key)",
        ),
        "purpose_code": personal(
            "user.privacy_preferences",
            *_READ,
            retention=_C,
            stored_as="plain purpose code on a pseudonymous row",
        ),
        "wording": personal(
            "user.privacy_preferences",
            *_READ,
            retention=_C,
            stored_as="the shop's own wording, shown to the person, on a pseudonymous row",
        ),
        "granted_at": personal(
            "user.privacy_preferences",
            *_READ,
            retention=_C,
            stored_as="plain timestamp on a pseudonymous row",
        ),
        "withdrawn_at": personal(
            "user.privacy_preferences",
            *_READ,
            retention=_C,
            stored_as="plain timestamp on a pseudonymous row",
        ),
    },
}
