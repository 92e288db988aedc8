"""What each compliance field holds (C2.1). See lookout/core/inventory.py."""

from lookout.compliance.models import SelfAuditRun
from lookout.core.inventory import NotPersonal

FIELDS = {
    SelfAuditRun: {
        "id": NotPersonal("random row id"),
        "at": NotPersonal("when the self-audit ran"),
        "ok": NotPersonal("whether every check passed"),
        "results": NotPersonal(
            "check names, counts, table and column names, pseudonymous ids and dates; never a "
            "personal value"
        ),
    },
}
