"""PostgreSQL: one function takes a lane's lock, then reads the lane's head and draws `n` new
`seq` numbers (see lookout.audit.services).

Why a function: the lock and the read must be two statements (in READ COMMITTED a statement's
snapshot is taken when it starts, so a read in the locking statement could miss the commit it
waited for), and sending both in one string works only while parameters are bound on the
client. With prepared statements (server-side binding, decision 0023, fifth addendum) that is
refused, so the two statements live in a VOLATILE PL/pgSQL function: each statement in it takes
a fresh snapshot, so the head is read after the lock is granted, in one round trip.

The SQL is frozen here; lookout/audit/services.py calls it by name. SQLite needs nothing (its
write transaction already holds the database's write lock).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION lookout_audit_lane_head(lock_key bigint, wanted_lane integer, n integer)
RETURNS TABLE (seqs bigint[], last_place bigint, last_hash text)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY
        SELECT ARRAY(
                   SELECT nextval(pg_get_serial_sequence('audit_auditentry', 'seq'))
                   FROM generate_series(1, n)
               ),
               head.lane_seq, head.hash::text
        FROM (SELECT 1) AS one
        LEFT JOIN (
            SELECT e.lane_seq, e.hash FROM audit_auditentry AS e
            WHERE e.lane = wanted_lane ORDER BY e.lane_seq DESC LIMIT 1
        ) AS head ON true;
END;
$$
"""
DROP = "DROP FUNCTION IF EXISTS lookout_audit_lane_head(bigint, integer, integer)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_lanes"),
    ]

    operations = [migrations.RunPython(create, drop)]
