"""The raw-read helpers see what is really stored, and refuse to read uncommitted data."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from lookout.testing.raw import RawReadError, raw_database_bytes, raw_rows


def _marker() -> str:
    return f"raw-read-marker-{uuid.uuid4().hex}"


@pytest.mark.django_db(transaction=True)
def test_a_committed_value_is_found_in_the_raw_bytes():
    # given a committed row holding a known, non-personal marker
    marker = _marker()
    assert marker.encode() not in raw_database_bytes()
    Session.objects.create(
        session_key=uuid.uuid4().hex, session_data=marker, expire_date=timezone.now() + timedelta(1)
    )

    # when the databases are read as stored
    raw = raw_database_bytes()

    # then the marker is there (so a search for personal values in these bytes is meaningful)
    assert marker.encode() in raw


@pytest.mark.django_db(transaction=True)
def test_the_key_store_is_read_too():
    keystore = raw_database_bytes(aliases=["keystore"])

    assert b"vault_datakey" in keystore


@pytest.mark.django_db
def test_raw_bytes_are_refused_inside_a_transaction():
    # a normal database test runs in a transaction that never reaches the disk
    with pytest.raises(RawReadError, match="transaction=True"):
        raw_database_bytes()


@pytest.mark.django_db
def test_raw_rows_return_the_stored_values():
    marker = _marker()
    key = uuid.uuid4().hex
    Session.objects.create(
        session_key=key, session_data=marker, expire_date=timezone.now() + timedelta(1)
    )

    rows = raw_rows("django_session")

    assert next(row for row in rows if row[0] == key)[1] == marker


@pytest.mark.django_db
def test_raw_rows_refuse_an_unknown_table():
    with pytest.raises(RawReadError, match="no table"):
        raw_rows(f"no_such_table; DROP TABLE django_session{connection.vendor}")
