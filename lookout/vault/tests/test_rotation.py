from __future__ import annotations

import pytest
from django.core.management import call_command

from lookout.access import reveal
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.core.purposes import Purpose
from lookout.vault import rotation
from lookout.vault.master import master_cache
from lookout.vault.models import DataKey


def _own_email(user: User) -> str | None:
    user = User.objects.get(pk=user.pk)
    return reveal(user, ["email"], purpose=Purpose.SELF_SERVICE, actor=user)["email"]


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_rotation_keeps_reads_working_and_rewraps_every_data_key() -> None:
    # Given people whose data keys are wrapped under the first master key
    people = [
        create_account(email=f"person{i}@example.com", password="a-long-passphrase-1")
        for i in range(5)
    ]
    first = rotation.status().primary_key_id
    wrapped_before = {k.subject: bytes(k.wrapped) for k in DataKey.objects.all()}

    # When a new primary master key is added (before any re-wrap)
    second = rotation.rotate_master_key()
    assert second != first
    # Then every existing value still reads (old key is still in the keyset)
    assert [_own_email(p) for p in people] == [f"person{i}@example.com" for i in range(5)]
    # And a new person is wrapped under the new primary at once
    newcomer = create_account(email="new@example.com", password="a-long-passphrase-1")
    assert DataKey.objects.get(subject=newcomer.subject).master_key_id == second
    assert rotation.status().pending == 5

    # When the background re-wrap runs
    assert rotation.rewrap_all() == 5
    # Then every data key is under the new primary, with new ciphertext, and still opens
    assert rotation.status().pending == 0
    for key in DataKey.objects.exclude(subject=newcomer.subject):
        assert key.master_key_id == second
        assert bytes(key.wrapped) != wrapped_before[key.subject]
    # And the old master key can be retired without losing anything
    assert first in rotation.retire_old_master_keys()
    master_cache.clear()
    assert first not in rotation.status().master_key_ids
    assert [_own_email(p) for p in people] == [f"person{i}@example.com" for i in range(5)]


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_keys_rotate_command_rewraps_through_the_task_and_reports(capsys) -> None:
    create_account(email="cmd@example.com", password="a-long-passphrase-1")
    call_command("keys", "rotate")
    out = capsys.readouterr().out
    assert "New primary master key" in out
    # Tests use the immediate task backend: the queued re-wrap has run.
    assert rotation.status().pending == 0
    call_command("keys", "status")
    assert "waiting to be re-wrapped: 0" in capsys.readouterr().out


@pytest.mark.django_db
def test_keys_rotate_now_shows_progress(capsys) -> None:
    for i in range(3):
        create_account(email=f"p{i}@example.com", password="a-long-passphrase-1")
    call_command("keys", "rotate", "--now")
    out = capsys.readouterr().out
    assert "re-wrapped 3/3" in out
