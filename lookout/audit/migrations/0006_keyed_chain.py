"""Re-chain the existing audit log under the audit key, once (issue 19 finding 5, decision 0035).

Until now an entry's hash was the plain SHA-256 of its document, which anyone able to write to
the database could recompute. From now on it is HMAC-SHA256 under a key derived from the master
keyset (`lookout.audit.keys`). Existing entries are re-chained here rather than verified the old
way forever: one formula for the whole log, and no "where does the keyed part start" marker
that an intruder could move.

Re-chaining would launder any tampering already done, so every chain is first checked the old
way (holes, links, hashes); a broken chain stops the migration, with the chain and entry named.
The triggers are dropped and re-created inside the migration's transaction (on PostgreSQL the
DROP TRIGGER also locks the table against writers until commit). Old processes must not write
during the upgrade: an entry they write after this migration would not verify.

The migration needs the master key file only if there are entries to re-chain. Reversing it
re-chains the log with the old, unkeyed hash.
"""

import importlib

from django.db import migrations

from lookout.audit.chain import HASHED_COLUMNS, canonical_bytes
from lookout.audit.keys import chain_key, mac_hex, unkeyed_hex

GENESIS_HASH = "0" * 64
PAGE = 2000
_triggers = importlib.import_module("lookout.audit.migrations.0002_append_only_triggers")


class BrokenLog(RuntimeError):
    pass


def rechain(model, connection, old_hash, new_hash):
    """Check every chain under `old_hash`, then rewrite its hashes under `new_hash`. Reads go
    through the (historical) model, so values come back exactly as `verify` reads them."""
    entries = model.objects.using(connection.alias)
    if not entries.exists():
        return 0
    vendor = connection.vendor
    rewritten = 0
    lanes = sorted(
        set(entries.filter(lane__isnull=False).values_list("lane", flat=True).order_by())
    )
    with connection.cursor() as cursor:
        for sql in _triggers.DROP[vendor]:
            cursor.execute(sql)
        for lane in [None, *lanes]:
            place_of = "seq" if lane is None else "lane_seq"
            chain = entries.filter(lane__isnull=True) if lane is None else entries.filter(lane=lane)
            name = "the chain before lanes" if lane is None else f"lane {lane}"
            last_place, old_prev, new_prev = 0, GENESIS_HASH, GENESIS_HASH
            while True:
                rows = list(
                    chain.filter(**{f"{place_of}__gt": last_place})
                    .order_by(place_of)
                    .values(*HASHED_COLUMNS, "hash")[:PAGE]
                )
                updates = []
                for row in rows:
                    place = row[place_of]
                    if place != last_place + 1:
                        raise BrokenLog(
                            f"Audit log not re-chained: {name}, entry #{last_place + 1} is "
                            "missing. Investigate before upgrading (docs/security.md)."
                        )
                    document = canonical_bytes(row)
                    if row["prev_hash"] != old_prev or old_hash(document) != row["hash"]:
                        raise BrokenLog(
                            f"Audit log not re-chained: {name}, entry #{place} (seq "
                            f"{row['seq']}) does not verify. Investigate before upgrading."
                        )
                    old_prev = row["hash"]
                    row["prev_hash"] = new_prev
                    new_prev = new_hash(canonical_bytes(row))
                    updates.append((row["prev_hash"], new_prev, row["seq"]))
                    last_place = place
                cursor.executemany(
                    "UPDATE audit_auditentry SET prev_hash = %s, hash = %s WHERE seq = %s", updates
                )
                rewritten += len(updates)
                if len(rows) < PAGE:
                    break
        for sql in _triggers.CREATE[vendor]:
            cursor.execute(sql)
    return rewritten


def keyed(message):
    return mac_hex(chain_key(), message)


def forwards(apps, schema_editor):
    model = apps.get_model("audit", "AuditEntry")
    rechain(model, schema_editor.connection, unkeyed_hex, keyed)


def backwards(apps, schema_editor):
    model = apps.get_model("audit", "AuditEntry")
    rechain(model, schema_editor.connection, keyed, unkeyed_hex)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_lane_head_function"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
