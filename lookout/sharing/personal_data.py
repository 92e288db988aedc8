"""What each sharing field holds, why, for how long (C2.1). See lookout/core/inventory.py."""

from lookout.core.inventory import ORDER_RETENTION, NotPersonal, Personal, personal
from lookout.core.purposes import Purpose as P
from lookout.sharing.models import (
    ConsentedDisclosure,
    DataAgreement,
    DeletionCertificate,
    Disclosure,
    InstanceConsent,
    Partner,
    RedactionRequest,
)

# The ledger is shown to the person in their access request and kept as long as the orders
# whose data it records (tax and dispute records).
_LEDGER = (P.SUBJECT_REQUEST, P.LEGAL)


def _ledger(category: str, stored_as: str) -> Personal:
    return personal(category, *_LEDGER, retention=ORDER_RETENTION, stored_as=stored_as)


def _sealed(category: str) -> Personal:
    """A one-time consent's own words, sealed under the person's data key (C5.6)."""
    return personal(category, *_LEDGER, retention=ORDER_RETENTION)


FIELDS = {
    Partner: {
        "id": NotPersonal("random row id of a company"),
        "name": NotPersonal("the partner company's name"),
        "kind": NotPersonal("carrier, payment processor or dispute-resolution vendor"),
        "active": NotPersonal("whether the company may still receive data"),
        "registered_at": NotPersonal("when an operator registered the company"),
    },
    DataAgreement: {
        "id": NotPersonal("random row id"),
        "partner": NotPersonal("the company that signed"),
        "signed_on": NotPersonal("when the company signed the agreement"),
        "expires_on": NotPersonal("when the agreement ends"),
        "document_reference": NotPersonal("reference of the signed contract document"),
        "recorded_at": NotPersonal("when an operator recorded the agreement"),
    },
    Disclosure: {
        "id": NotPersonal("random row id"),
        "partner": _ledger("user.unique_id", "foreign key to a company, on a pseudonymous row"),
        "subject": _ledger(
            "user.unique_id.pseudonymous", "random UUID (the id of the person's data key)"
        ),
        "fields": _ledger(
            "user.privacy_preferences", "field names (never values), on a pseudonymous row"
        ),
        "categories": _ledger(
            "user.privacy_preferences", "data category names, on a pseudonymous row"
        ),
        "purpose": _ledger("user.privacy_preferences", "purpose name, on a pseudonymous row"),
        "at": _ledger("user.privacy_preferences", "plain timestamp on a pseudonymous row"),
        "actor_ref": _ledger(
            "user.unique_id.pseudonymous", "pseudonymous id of the person who caused the transfer"
        ),
        "target": _ledger(
            "user.unique_id.pseudonymous", "'app.Model:<uuid>' of the record the data came from"
        ),
    },
    InstanceConsent: {
        "id": NotPersonal("random row id"),
        "subject": _ledger(
            "user.unique_id.pseudonymous", "random UUID (the id of the person's data key)"
        ),
        "recipient": _sealed("user.privacy_preferences"),
        "fields": _ledger(
            "user.privacy_preferences", "field names (never values), on a pseudonymous row"
        ),
        "purpose_text": _sealed("user.privacy_preferences"),
        "wording": _sealed("user.privacy_preferences"),
        "granted_at": _ledger("user.privacy_preferences", "plain timestamp on a pseudonymous row"),
        "used_at": _ledger("user.privacy_preferences", "plain timestamp on a pseudonymous row"),
    },
    ConsentedDisclosure: {
        "id": NotPersonal("random row id"),
        "consent": _ledger("user.unique_id.pseudonymous", "foreign key to the one-time consent"),
        "subject": _ledger(
            "user.unique_id.pseudonymous", "random UUID (the id of the person's data key)"
        ),
        "fields": _ledger(
            "user.privacy_preferences", "field names (never values), on a pseudonymous row"
        ),
        "at": _ledger("user.privacy_preferences", "plain timestamp on a pseudonymous row"),
        "actor_ref": _ledger(
            "user.unique_id.pseudonymous", "pseudonymous id of the person who caused the transfer"
        ),
        "target": _ledger(
            "user.unique_id.pseudonymous", "'app.Model:<uuid>' of the record the data came from"
        ),
    },
    # The proof of an erasure (issue 26): kept as long as the ledger it answers for.
    DeletionCertificate: {
        "reference": _ledger(
            "user.unique_id.pseudonymous", "random reference the erased person was given"
        ),
        "subject_ref": _ledger(
            "user.unique_id.pseudonymous", "keyed digest of the erased person's subject id"
        ),
        "key_destroyed_at": _ledger(
            "user.privacy_preferences", "plain timestamp on a pseudonymous row"
        ),
        "created_at": _ledger("user.privacy_preferences", "plain timestamp on a pseudonymous row"),
    },
    RedactionRequest: {
        "id": NotPersonal("random row id"),
        "certificate": _ledger("user.unique_id.pseudonymous", "foreign key to the certificate"),
        "partner": _ledger("user.unique_id", "foreign key to a company, on a pseudonymous row"),
        "subject": _ledger(
            "user.unique_id.pseudonymous", "random UUID (the id of the destroyed data key)"
        ),
        "fields": _ledger(
            "user.privacy_preferences", "field names (never values), on a pseudonymous row"
        ),
        "categories": _ledger(
            "user.privacy_preferences", "data category names, on a pseudonymous row"
        ),
        "records": _ledger(
            "user.unique_id.pseudonymous",
            "the partner's own references (tracking numbers, payment session ids)",
        ),
        "status": NotPersonal("queued, sent, confirmed or by hand"),
        "created_at": _ledger("user.privacy_preferences", "plain timestamp on a pseudonymous row"),
        "due_at": NotPersonal("when the partner's confirmation is due"),
        "attempts": NotPersonal("how many times it was sent or asked about"),
        "next_attempt_at": NotPersonal("when the task tries again"),
        "sent_at": _ledger("user.privacy_preferences", "plain timestamp on a pseudonymous row"),
        "confirmed_at": _ledger(
            "user.privacy_preferences", "plain timestamp on a pseudonymous row"
        ),
        "partner_reference": NotPersonal("the partner's id for the request"),
        "note": NotPersonal("fixed wording: why the last attempt failed or what is left"),
    },
}
