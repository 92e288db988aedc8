"""What is actually on disk: raw database files (SQLite) or a pg_dump (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.core.purposes import Purpose
from lookout.testing.raw import raw_database_bytes

ANN = "ann.rawcheck@example.com"
BEN = "ben.rawcheck@example.com"
STAFF = "staff.rawcheck@example.com"
TOTP = "KRSXG5CTMVRXEZLUKN2XAZLSONSXE5DF"
SECRETS = [ANN, BEN, STAFF, TOTP, "ann.rawcheck", "rawcheck@example"]


def _encodings(value: str) -> list[bytes]:
    return [value.encode("utf-8"), value.encode("utf-16-le"), value.encode().hex().encode()]


@pytest.mark.commitment("C4.2", "C2.1")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_raw_databases_hold_no_personal_value_in_plaintext() -> None:
    # Given customers and staff, a second-factor secret, reads through the gate, a signed-in
    # session, a failed sign-in (throttle counters in the cache) and an admin log entry
    ann = create_account(email=ANN, password="a-long-passphrase-1")
    create_account(email=BEN, password="another-long-pass-2")
    staff = create_account(email=STAFF, password="staff-long-pass-3", role=Role.PRIVACY_OFFICER)
    staff.totp_secret = TOTP
    staff.save()
    ann = User.objects.get(pk=ann.pk)
    reveal(ann, ["email"], purpose=Purpose.SUBJECT_REQUEST, actor=staff)
    client = Client()
    client.post("/accounts/login/", {"email": BEN, "password": "wrong-password-x"})
    client.post("/accounts/login/", {"email": ANN, "password": "a-long-passphrase-1"})
    LogEntry.objects.log_actions(
        user_id=staff.pk,
        queryset=[ann],
        action_flag=CHANGE,
        change_message="role changed",
    )
    assert LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(User)).exists()

    # When we read the bytes as stored
    stored = raw_database_bytes()

    # Then the data is there (sanity), but no personal value is, in any common encoding
    assert str(ann.subject).encode() in stored or ann.subject.hex.encode() in stored
    for secret in SECRETS:
        for encoded in _encodings(secret):
            assert encoded not in stored, f"{secret!r} found in the raw database"
