"""What `verify_chain` says when entries were deleted: which ones, in words an operator can act
on (C4.4). A lane's reasons name the lane, the chain from before lanes names none; a hole of
several entries is named as a range."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from lookout.audit.testing import append_only_suspended
from lookout.audit.tests.helpers import record_reveals
from lookout.audit.tests.test_verify import _legacy_entries
from lookout.audit.verify import verify_chain

pytestmark = [pytest.mark.django_db, pytest.mark.commitment("C4.4")]


def _delete(*seqs: int) -> None:
    """Delete as an intruder with database access would: raw SQL, triggers dropped."""
    with append_only_suspended(), connection.cursor() as cursor:
        for seq in seqs:
            cursor.execute("DELETE FROM audit_auditentry WHERE seq = %s", [seq])


def test_a_deleted_entry_from_before_lanes_is_named_without_a_lane():
    legacy = _legacy_entries(4)
    _delete(legacy[1].seq)

    result = verify_chain()

    assert result.reason == "entry #2 is missing (deleted): the chain jumps from #1 to #3"


def test_several_deleted_entries_of_a_lane_are_named_as_a_range(officer, customer):
    chain = record_reveals(actor=officer, subject=customer, count=5)
    _delete(chain[1].seq, chain[2].seq)

    result = verify_chain()

    assert re.fullmatch(
        r"lane \d+: entries #2 to #3 are missing \(deleted\): the chain jumps from #1 to #4",
        result.reason,
    )
