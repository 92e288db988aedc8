from lookout.core.inventory import NotPersonal
from lookout.vault.models import DataKey

FIELDS = {
    DataKey: {
        "subject": NotPersonal("random pseudonymous id; names nobody without the main database"),
        "kind": NotPersonal("customer, guest or staff"),
        "wrapped": NotPersonal("a random key encrypted under the master key; holds no data"),
        "master_key_id": NotPersonal("which master key wrapped it"),
        "created_at": NotPersonal("when the key was made"),
        "rewrapped_at": NotPersonal("when the key was last re-wrapped"),
    },
}
