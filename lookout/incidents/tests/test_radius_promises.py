"""How the blast radius is written on PostgreSQL, as docs/breach.md states it (C4.8, issue 21).

The figures are proven by `test_radius.py` and `test_radius_figures.py`. These tests prove the
two statements docs/breach.md makes about the work on PostgreSQL, which the bench's target (a
role's 200,000 reads under 5 s) rests on: the audit-log kinds are ONE `INSERT … SELECT` run with
JIT off and 64 MB of `work_mem`, and the other kinds write all their rows with ONE `COPY`.

They are observed from inside the database: a statement-level trigger on the exposure table
notes, for every statement that inserts rows, its text and the planner settings it ran with.
On SQLite (no planner settings, no COPY) they are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.core.purposes import Purpose
from lookout.incidents.models import Kind
from lookout.incidents.services import record_incident

pytestmark = pytest.mark.django_db

Seen = list[tuple[str, str, str]]


@pytest.fixture
def writes() -> Iterator[Callable[[], Seen]]:
    """(first word of the statement, jit, work_mem) of each statement that inserted exposure
    rows; the settings a server might be configured with are put back to PostgreSQL's defaults
    first, so only what the computation sets can show."""
    if connection.vendor != "postgresql":
        pytest.skip("planner settings and COPY are PostgreSQL's")
    with connection.cursor() as cursor:  # all rolled back with the test's transaction
        cursor.execute("SET LOCAL jit = on")
        cursor.execute("SET LOCAL work_mem = '4MB'")
        cursor.execute("CREATE TEMP TABLE radius_writes (query text, jit text, work_mem text)")
        cursor.execute(
            "CREATE FUNCTION radius_note_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO radius_writes VALUES (current_query(), current_setting('jit'), "
            "current_setting('work_mem')); RETURN NULL; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER radius_note_write AFTER INSERT ON incidents_exposure "
            "FOR EACH STATEMENT EXECUTE FUNCTION radius_note_write()"
        )

    def seen() -> Seen:
        with connection.cursor() as cursor:
            cursor.execute("SELECT query, jit, work_mem FROM radius_writes")
            return [(q.split()[0].upper(), jit, mem) for q, jit, mem in cursor.fetchall()]

    yield seen


def _incident(officer, **kw):  # type: ignore[no-untyped-def]
    now = timezone.now()
    return record_incident(
        officer=officer,
        measures="Password reset, sessions ended.",
        started_at=now - timedelta(hours=1),
        ended_at=now + timedelta(hours=1),
        **kw,
    )


def test_a_staff_accounts_reads_are_grouped_by_one_statement_without_jit(
    writes, staff, customer, policies, partners
) -> None:
    # given an account that opened two people's data
    thief, _ = staff(Role.AFTER_SALES)
    officer, _ = staff(Role.PRIVACY_OFFICER)
    for person in (customer(), customer()):
        reveal(person, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)
    # when the account is reported compromised
    incident = _incident(officer, kind=Kind.STAFF_ACCOUNT, staff_subject=thief.subject)
    # then one INSERT ... SELECT wrote both rows, with JIT off and 64 MB to group in memory
    assert incident.people == 2
    assert writes() == [("WITH", "off", "64MB")]


def test_a_roles_reads_are_grouped_by_one_statement_without_jit(
    writes, staff, customer, policies, partners
) -> None:
    reader, _ = staff(Role.FINANCE)
    officer, _ = staff(Role.PRIVACY_OFFICER)
    reveal(customer(), ["email"], purpose=Purpose.REFUND, actor=reader)
    incident = _incident(officer, kind=Kind.ROLE, role=Role.FINANCE)
    assert incident.people == 1
    assert writes() == [("WITH", "off", "64MB")]


def test_a_backups_people_are_written_by_one_copy(writes, staff, customer) -> None:
    # given several people in the main database
    officer, _ = staff(Role.PRIVACY_OFFICER)
    customer(), customer()
    # when a backup is lost
    incident = _incident(officer, kind=Kind.BACKUP)
    # then all their rows went in with a single COPY, not one statement per person
    assert incident.people >= 3
    assert [query for query, _, _ in writes()] == ["COPY"]


def test_a_compromised_hosts_reads_are_read_without_jit(
    writes, staff, customer, policies, partners
) -> None:
    # the window's reads of a compromised host are grouped in the database too (then merged
    # with the backup's part and written by the COPY, in the same transaction)
    reader, _ = staff(Role.AFTER_SALES)
    officer, _ = staff(Role.PRIVACY_OFFICER)
    reveal(customer(), ["email"], purpose=Purpose.AFTER_SALES, actor=reader)
    _incident(officer, kind=Kind.BACKUP, host_compromised=True)
    assert writes() == [("COPY", "off", "64MB")]
