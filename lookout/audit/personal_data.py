from lookout.audit.models import AuditEntry
from lookout.core.inventory import AUDIT_RETENTION, NotPersonal, personal
from lookout.core.purposes import Purpose

_PSEUDONYMOUS = personal(
    "user.unique_id.pseudonymous",
    Purpose.LEGAL,
    retention=AUDIT_RETENTION,
    stored_as="pseudonymous id",
)

FIELDS = {
    AuditEntry: {
        "seq": NotPersonal("order of the entry in the whole log", retention=AUDIT_RETENTION),
        "lane": NotPersonal("which hash chain (lane) the entry is on", retention=AUDIT_RETENTION),
        "lane_seq": NotPersonal("position in its lane's chain", retention=AUDIT_RETENTION),
        "at": NotPersonal("when the access happened", retention=AUDIT_RETENTION),
        "actor_ref": _PSEUDONYMOUS,
        "actor_role": NotPersonal("the staff role, shared by many people"),
        "action": NotPersonal("what was done, e.g. reveal or order.shipped"),
        "subject_ref": _PSEUDONYMOUS,
        "fields": NotPersonal("names of the fields concerned, never their values"),
        "purpose": NotPersonal("one of the fixed purposes"),
        "outcome": NotPersonal("granted, refused, ok or failed"),
        # "accounts.User:<uuid>" names a person's row by its random id: pseudonymous.
        "target": _PSEUDONYMOUS,
        # The random UUIDs of the records a bulk read named: pseudonymous, like `target`.
        "targets": _PSEUDONYMOUS,
        "detail": NotPersonal("non-personal values only; record() refuses email addresses"),
        "prev_hash": NotPersonal("SHA-256 of the previous entry"),
        "hash": NotPersonal("SHA-256 of this entry"),
    },
}
