"""The blast radius of an incident: which people, and which of their fields, were exposed.

Sources, by what was compromised (docs/breach.md explains each and its limits):

* a staff account: the audit log's granted reads (`action = 'reveal'`) by that account
  (`actor_ref`, the account's pseudonymous subject id) inside the window;
* a role: the granted reads made under that role (`actor_role`, the role the reader held at the
  time of the read) inside the window;
* a partner: the disclosure ledger's rows to that partner, ever, up to the window's end;
* a master key version: the people whose data key is wrapped under it (key store), and every
  sealed field the main database holds for them;
* a backup of the main database: everyone with a row in it; their blind indexes and other
  plain personal columns are exposed, their sealed fields only if the key store and the master
  key went with it. With `host_compromised`, every value the running store opened inside the
  window (the audit log's granted reads by anyone) is exposed as well.

The audit reads are one INSERT … SELECT in the database (set-based: no row of the log comes to
Python), using the partial indexes `audit_reveal_actor_at` and `audit_reveal_role_at`. A field
read only masked (`detail.masked`) counts as masked; read in full once, it counts as exposed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Count, Q
from django.utils import timezone

from lookout.core.inventory import Personal, declaration
from lookout.incidents.models import Exposure, Incident, Kind
from lookout.sharing.models import Disclosure
from lookout.vault.fields import EncryptedField, encrypted_fields
from lookout.vault.models import DataKey
from lookout.vault.routers import KEYSTORE_APPS

# The reads of the window, grouped per person and field: one row per person, inserted as their
# exposure row (or, for a compromised host, read back to be merged with the backup's part).
# `{who}` is the actor condition; the literal `e.action = 'reveal'` lets the planner use the
# partial indexes, whose predicate it must prove from the query's text.
_READS_PG = """
WITH hits AS MATERIALIZED (
  SELECT e.subject_ref, e.fields, e.detail ->> 'masked' AS masked
  FROM audit_auditentry AS e
  WHERE e.action = 'reveal' AND {who} AND e.at >= %s AND e.at < %s
    AND e.outcome = 'granted' AND e.subject_ref <> ''
),
per_field AS (
  SELECT h.subject_ref, f.name,
         bool_or(h.masked IS NULL OR NOT (f.name = ANY (string_to_array(h.masked, ','))))
           AS in_full
  FROM hits AS h CROSS JOIN LATERAL jsonb_array_elements_text(h.fields) AS f(name)
  GROUP BY h.subject_ref, f.name
),
per_person AS (SELECT subject_ref, count(*) AS entries FROM hits GROUP BY subject_ref)
"""
_PER_PERSON_PG = """
       COALESCE(jsonb_agg(p.name ORDER BY p.name) FILTER (WHERE p.in_full), '[]'::jsonb),
       COALESCE(jsonb_agg(p.name ORDER BY p.name) FILTER (WHERE NOT p.in_full), '[]'::jsonb)
"""
_FROM = """
FROM per_field AS p JOIN per_person AS n ON n.subject_ref = p.subject_ref
GROUP BY p.subject_ref, n.entries
"""
_INSERT_PG = (
    _READS_PG
    + """INSERT INTO incidents_exposure
  (id, incident_id, subject, exposed, masked, withheld, metadata, sources, records)
SELECT gen_random_uuid(), %s, p.subject_ref::uuid,"""
    + _PER_PERSON_PG
    + """, '[]'::jsonb, '[]'::jsonb, '["audit"]'::jsonb, n.entries"""
    + _FROM
)
_SELECT_PG = (
    _READS_PG
    + """SELECT p.subject_ref,
       COALESCE(jsonb_agg(p.name) FILTER (WHERE p.in_full), '[]'::jsonb)::text,
       COALESCE(jsonb_agg(p.name) FILTER (WHERE NOT p.in_full), '[]'::jsonb)::text,
       n.entries"""
    + _FROM
)

_READS_SQLITE = """
WITH hits AS (
  SELECT e.subject_ref, e.fields, json_extract(e.detail, '$.masked') AS masked
  FROM audit_auditentry AS e
  WHERE e.action = 'reveal' AND {who} AND e.at >= %s AND e.at < %s
    AND e.outcome = 'granted' AND e.subject_ref <> ''
),
per_field AS (
  SELECT h.subject_ref, f.value AS name,
         MAX(instr(',' || COALESCE(h.masked, '') || ',', ',' || f.value || ',') = 0) AS in_full
  FROM hits AS h, json_each(h.fields) AS f
  GROUP BY h.subject_ref, f.value
  ORDER BY h.subject_ref, f.value
),
per_person AS (SELECT subject_ref, count(*) AS entries FROM hits GROUP BY subject_ref)
"""
_PER_PERSON_SQLITE = """
       COALESCE(json_group_array(p.name) FILTER (WHERE p.in_full), '[]'),
       COALESCE(json_group_array(p.name) FILTER (WHERE NOT p.in_full), '[]')
"""
_INSERT_SQLITE = (
    _READS_SQLITE
    + """INSERT INTO incidents_exposure
  (id, incident_id, subject, exposed, masked, withheld, metadata, sources, records)
SELECT lower(hex(randomblob(16))), %s, replace(p.subject_ref, '-', ''),"""
    + _PER_PERSON_SQLITE
    + """, '[]', '[]', '["audit"]', n.entries"""
    + _FROM
)
_SELECT_SQLITE = (
    _READS_SQLITE + "SELECT p.subject_ref," + _PER_PERSON_SQLITE + ", n.entries" + _FROM
)


@dataclass
class _Person:
    exposed: set[str] = field(default_factory=set)
    masked: set[str] = field(default_factory=set)
    withheld: set[str] = field(default_factory=set)
    metadata: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    records: int = 0


def _audit_query(incident: Incident, *, insert: bool) -> tuple[str, list[Any]]:
    params: list[Any]
    if incident.kind == Kind.STAFF_ACCOUNT:
        who, params = "e.actor_ref = %s", [str(incident.staff_subject)]
    elif incident.kind == Kind.ROLE:
        who, params = "e.actor_role = %s", [incident.role]
    else:  # a compromised host: whatever it opened in the window, for anyone
        who, params = "1 = 1", []
    postgres = connection.vendor == "postgresql"
    if insert:
        sql = _INSERT_PG if postgres else _INSERT_SQLITE
    else:
        sql = _SELECT_PG if postgres else _SELECT_SQLITE
    # As the ORM would bind them: on SQLite, naive UTC text in the stored format.
    window = [
        connection.ops.adapt_datetimefield_value(t)
        for t in (incident.started_at, incident.ended_at)
    ]
    params += window
    if insert:
        params.append(str(incident.id) if postgres else incident.id.hex)
    return sql.format(who=who), params


def _tune(cursor: Any) -> None:
    """For this transaction on PostgreSQL: no JIT (compiling the plan cost more than running it
    over a million entries) and room to group a role's reads in memory."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")


def _audit_reads(incident: Incident) -> int:
    """Insert the exposure rows of the audit log's reads in the window; how many people."""
    sql, params = _audit_query(incident, insert=True)
    with connection.cursor() as cursor:
        _tune(cursor)
        cursor.execute(sql, params)
        return cursor.rowcount


def _merge_audit_reads(incident: Incident, people: dict[uuid.UUID, _Person]) -> None:
    """Fold the audit log's reads in the window (anyone's) into `people`."""
    sql, params = _audit_query(incident, insert=False)
    with connection.cursor() as cursor:
        _tune(cursor)
        cursor.execute(sql, params)
        for subject, exposed, masked, entries in cursor.fetchall():
            person = people.setdefault(uuid.UUID(subject), _Person())
            person.exposed.update(json.loads(exposed))
            person.masked.update(json.loads(masked))
            person.sources.add("audit")
            person.records += entries


def _label(model: type[models.Model], name: str) -> str:
    return f"{model._meta.label}.{name}"


def _plain_personal(
    model: type[models.Model], encrypted: dict[str, EncryptedField], subject_field: str
) -> list[str]:
    """The personal columns of `model` stored in the clear: blind indexes, hashes, timestamps
    on a pseudonymous row; not its random ids, which name nobody by themselves."""
    names = []
    for f in model._meta.concrete_fields:
        if f.name in encrypted or f.primary_key or f.name == subject_field:
            continue
        try:
            found = declaration(model, f.name)
        except (LookupError, ModuleNotFoundError):
            continue
        if isinstance(found, Personal) and not found.stored_as.startswith("random UUID"):
            names.append(f.name)
    return names


def _held(model: type[models.Model], name: str) -> Count:
    """Rows where the column holds something: not NULL, and for text not blank either (a
    customer's empty display name, an account order's blank email index hold nothing)."""
    if isinstance(model._meta.get_field(name), models.CharField | models.TextField):
        return Count(name, filter=~Q(**{name: ""}))
    return Count(name)


def holdings(subjects: set[uuid.UUID] | None = None) -> dict[uuid.UUID, _Person]:
    """What the main database holds per person: their sealed fields (in `withheld`) and their
    plain personal columns (in `metadata`), with how many rows. One GROUP BY per model with
    sealed fields; `subjects` limits the answer (None: everyone)."""
    people: dict[uuid.UUID, _Person] = {}
    for model in apps.get_models():
        if model._meta.app_label in KEYSTORE_APPS or model._meta.proxy:
            continue
        encrypted = encrypted_fields(model)
        if not encrypted:
            continue
        subject_field = next(iter(encrypted.values())).subject_field
        plain = _plain_personal(model, encrypted, subject_field)
        counts = {f"c_{name}": _held(model, name) for name in [*encrypted, *plain]}
        rows = (
            model._base_manager.order_by()
            .values(subject_field)
            .annotate(rows=Count("pk"), **counts)
        )
        for row in rows.iterator(2000):
            subject = row[subject_field]
            if subject is None or (subjects is not None and subject not in subjects):
                continue
            person = people.setdefault(subject, _Person())
            person.records += row["rows"]
            person.withheld.update(_label(model, n) for n in encrypted if row[f"c_{n}"])
            person.metadata.update(_label(model, n) for n in plain if row[f"c_{n}"])
    return people


def _partner(incident: Incident) -> dict[uuid.UUID, _Person]:
    people: dict[uuid.UUID, _Person] = {}
    rows = Disclosure.objects.filter(partner=incident.partner, at__lt=incident.ended_at)
    for subject, names in rows.values_list("subject", "fields").iterator(2000):
        person = people.setdefault(subject, _Person())
        person.exposed.update(names)
        person.sources.add("disclosure")
        person.records += 1
    return people


def _key_version(incident: Incident) -> dict[uuid.UUID, _Person]:
    version = incident.key_version if incident.key_version is not None else -1
    wrapped = set(DataKey.objects.filter(master_key_id=version).values_list("subject", flat=True))
    people = holdings(wrapped)
    for subject in wrapped:
        person = people.setdefault(subject, _Person())
        person.exposed |= person.withheld  # whoever holds this key opens all of it
        person.withheld = set()
        person.sources.add("key")
    return people


def _backup(incident: Incident) -> dict[uuid.UUID, _Person]:
    people = holdings()
    keys_too = incident.keystore_included and incident.master_key_included
    for person in people.values():
        person.sources.add("backup")
        if keys_too:
            person.exposed |= person.withheld
            person.withheld = set()
    if incident.host_compromised:
        _merge_audit_reads(incident, people)
    return people


_COLUMNS = "id, incident_id, subject, exposed, masked, withheld, metadata, sources, records"
_INSERT_ONE = (
    "INSERT INTO incidents_exposure (id, incident_id, subject, exposed, masked, withheld, "
    "metadata, sources, records) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def _rows(people: dict[uuid.UUID, _Person]) -> Iterable[tuple[Any, ...]]:
    """(subject, exposed, masked, withheld, metadata, sources, records) of each person with
    anything exposed; lists of field names as JSON text."""
    for subject, p in people.items():
        masked = p.masked - p.exposed
        withheld = p.withheld - p.exposed - masked
        if not (p.exposed or masked or p.metadata):
            continue  # nothing of theirs was exposed
        lists = (p.exposed, masked, withheld, p.metadata, p.sources)
        yield (subject, *(json.dumps(sorted(x)) for x in lists), p.records)


def _write(incident: Incident, people: dict[uuid.UUID, _Person]) -> None:
    """Insert the exposure rows in one COPY (PostgreSQL) or one executemany (SQLite): building
    a model instance per person cost seconds for a backup's tens of thousands of people."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY incidents_exposure ({_COLUMNS}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for row in _rows(people):
                    copy.write_row((uuid.uuid4(), incident.id, *row))
        else:
            cursor.executemany(
                _INSERT_ONE,
                [(uuid.uuid4().hex, incident.id.hex, r[0].hex, *r[1:]) for r in _rows(people)],
            )


def compute(incident: Incident) -> Incident:
    """(Re)compute the incident's exposure rows and its counts, in one transaction."""
    with transaction.atomic():
        Exposure.objects.filter(incident=incident).delete()
        if incident.kind in (Kind.STAFF_ACCOUNT, Kind.ROLE):
            _audit_reads(incident)
        else:
            if incident.kind == Kind.PARTNER:
                people = _partner(incident)
            elif incident.kind == Kind.KEY_VERSION:
                people = _key_version(incident)
            else:
                people = _backup(incident)
            _write(incident, people)
        totals: dict[str, Any] = Exposure.objects.filter(incident=incident).aggregate(
            people=Count("pk"), records=models.Sum("records")
        )
        incident.people = totals["people"] or 0
        incident.records = totals["records"] or 0
        incident.computed_at = timezone.now()
        incident.save(update_fields=["people", "records", "computed_at"])
    return incident
