"""What each consent field holds, why, for how long (C2.1). See lookout/core/inventory.py."""

from lookout.consent.models import ConsentReceipt, ThirdPartyScript
from lookout.core.inventory import CONSENT_RETENTION, NotPersonal, personal
from lookout.core.purposes import Purpose as P

_PROOF = (P.LEGAL, P.SELF_SERVICE, P.SUBJECT_REQUEST)

FIELDS = {
    ConsentReceipt: {
        "id": NotPersonal("random receipt id, shown to the visitor as their proof"),
        "analytics": NotPersonal("yes/no for a category; anonymous unless `subject` is set"),
        "marketing": NotPersonal("yes/no for a category; anonymous unless `subject` is set"),
        "method": NotPersonal("accept all, reject all, by category or GPC"),
        "gpc": NotPersonal("whether the browser sent Global Privacy Control"),
        "banner_version": NotPersonal("hash of the public banner text"),
        "privacy_policy_version": NotPersonal("number of the public privacy policy version"),
        "created_at": NotPersonal("when the choice was made", retention=CONSENT_RETENTION),
        "subject": personal(
            "user.unique_id.pseudonymous",
            *_PROOF,
            retention=CONSENT_RETENTION,
            stored_as="random UUID (the id of the person's data key), only if they chose to "
            "link the receipt to their account",
        ),
    },
    ThirdPartyScript: {
        "id": NotPersonal("random row id"),
        "name": NotPersonal("name of a vendor's script, set by an operator"),
        "category": NotPersonal("the optional cookie category the script belongs to"),
        "src": NotPersonal("public URL of the vendor's script"),
        "origin": NotPersonal("the vendor's origin, allowed by the CSP after opt-in"),
        "active": NotPersonal("whether the operator has the script switched on"),
        "created_at": NotPersonal("when the operator registered it"),
    },
}
