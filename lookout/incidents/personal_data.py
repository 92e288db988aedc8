"""What each incidents field holds, why, for how long (C2.1). See lookout/core/inventory.py.

A breach's records are kept as long as the audit log: the controller must document every
breach, its effects and the remedial action taken (GDPR Art. 33(5)).
"""

from lookout.core.inventory import AUDIT_RETENTION, NotPersonal, personal
from lookout.core.purposes import Purpose
from lookout.incidents.models import Exposure, Incident

_PSEUDONYMOUS = personal(
    "user.unique_id.pseudonymous",
    Purpose.LEGAL,
    retention=AUDIT_RETENTION,
    stored_as="pseudonymous id",
)


def _op(why: str) -> NotPersonal:
    return NotPersonal(why, retention=AUDIT_RETENTION)


FIELDS = {
    Incident: {
        "id": _op("random id of the incident"),
        "kind": _op("what kind of thing was compromised"),
        "started_at": _op("start of the incident's window"),
        "ended_at": _op("end of the incident's window"),
        "aware_at": _op("when the store became aware of the breach"),
        "due_at": _op("when the supervisory authority must have been notified"),
        # The compromised staff account, by its pseudonymous id.
        "staff_subject": _PSEUDONYMOUS,
        "role": _op("a staff role, shared by many people"),
        "partner": _op("a partner company"),
        "key_version": _op("a master key's id"),
        "keystore_included": _op("whether the backup held the key store"),
        "master_key_included": _op("whether the master key was taken too"),
        "host_compromised": _op("whether the running host was compromised"),
        "measures": _op("the officer's account of the measures taken; the form asks for no names"),
        "recorded_at": _op("when the incident was recorded"),
        "recorded_by": _PSEUDONYMOUS,
        "computed_at": _op("when the blast radius was last computed"),
        "people": _op("how many people were affected"),
        "records": _op("how many reads, disclosures or rows were behind it"),
        "authority_notified_at": _op("when the supervisory authority was notified"),
        "people_notified_at": _op("when the affected people were notified"),
    },
    Exposure: {
        "id": _op("random id of the row"),
        "incident": _op("the incident"),
        "subject": _PSEUDONYMOUS,
        "exposed": NotPersonal("names of fields, never their values", retention=AUDIT_RETENTION),
        "masked": NotPersonal("names of fields, never their values", retention=AUDIT_RETENTION),
        "withheld": NotPersonal("names of fields, never their values", retention=AUDIT_RETENTION),
        "metadata": NotPersonal("names of fields, never their values", retention=AUDIT_RETENTION),
        "sources": _op("which records showed the exposure"),
        "records": _op("how many reads, disclosures or rows"),
        "notified_at": _op("when the person's notice was posted to their inbox"),
    },
}
