"""What each policies field holds, why, for how long (C2.1). See lookout/core/inventory.py."""

from lookout.core.inventory import ACCOUNT_LIFETIME, NotPersonal, personal
from lookout.core.purposes import Purpose as P
from lookout.policies.models import PolicyAcceptance, PolicyVersion

_ACCEPTANCE = (P.SELF_SERVICE, P.SUBJECT_REQUEST, P.LEGAL)

FIELDS = {
    PolicyVersion: {
        "id": NotPersonal("random row id of a public document version"),
        "document": NotPersonal("which public policy: privacy, shipping or refund"),
        "number": NotPersonal("version number of a public document"),
        "text": NotPersonal("the public text of the policy, the same for everyone"),
        "summary": NotPersonal("the public summary of changes"),
        "posted_at": NotPersonal("when the public version was posted"),
        "effective_at": NotPersonal("when the public version takes effect"),
        "material": NotPersonal("whether the change is material (needs notice)"),
        "notices_completed_at": NotPersonal("when every notice of this version was sent"),
    },
    PolicyAcceptance: {
        "id": NotPersonal("random row id"),
        "subject": personal(
            "user.unique_id.pseudonymous",
            *_ACCEPTANCE,
            retention=ACCOUNT_LIFETIME,
            stored_as="random UUID (the id of the person's data key)",
        ),
        "version": personal(
            "user.privacy_preferences",
            *_ACCEPTANCE,
            retention=ACCOUNT_LIFETIME,
            stored_as="foreign key to a public policy version, on a pseudonymous row",
        ),
        "how": personal(
            "user.privacy_preferences",
            *_ACCEPTANCE,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain word (signup, order, continued_use) on a pseudonymous row",
        ),
        "at": personal(
            "user.privacy_preferences",
            *_ACCEPTANCE,
            retention=ACCOUNT_LIFETIME,
            stored_as="plain timestamp on a pseudonymous row",
        ),
    },
}
