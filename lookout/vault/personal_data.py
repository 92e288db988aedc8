from datetime import timedelta

from lookout.core.inventory import NotPersonal, Retention
from lookout.vault.models import DataKey

# A key is made and committed before anything is sealed under it (vault.crypto.new_subject); one
# that nothing uses a day later never will be (a repeated checkout submit, a sign-up that lost a
# race) and is destroyed by the retention rule `vault.unused_keys`.
UNUSED_KEY_RETENTION = Retention(
    "unused_key", timedelta(days=1), "the key was made, if no record names its person"
)

FIELDS = {
    DataKey: {
        "subject": NotPersonal("random pseudonymous id; names nobody without the main database"),
        "kind": NotPersonal("customer, guest or staff"),
        "wrapped": NotPersonal("a random key encrypted under the master key; holds no data"),
        "master_key_id": NotPersonal("which master key wrapped it"),
        "created_at": NotPersonal("when the key was made", retention=UNUSED_KEY_RETENTION),
        "rewrapped_at": NotPersonal("when the key was last re-wrapped"),
    },
}
