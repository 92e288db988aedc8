"""The key re-wrap after a master key rotation continues where it stopped (issue 27, finding 5:
a worker killed mid-task left 17,766 keys on the old master key).

The interruption is real: one data key's wrapped bytes are damaged, so unwrapping it fails part
of the way through, as a crash would stop the run there; the key is then repaired and the re-wrap
run again.
"""

from __future__ import annotations

import pytest

from lookout.vault import rotation
from lookout.vault.crypto import VaultError, new_subject, open_sealed, seal
from lookout.vault.models import DataKey

CONTEXT = b"test.rewrap"


def _people(n: int) -> dict:
    """`n` people with a data key each and a value sealed under it."""
    sealed = {}
    for i in range(n):
        subject = new_subject(kind=DataKey.Kind.CUSTOMER)
        sealed[subject] = seal(subject=subject, plaintext=f"value {i}", context=CONTEXT)
    return sealed


@pytest.mark.commitment("C4.2")
@pytest.mark.django_db
def test_an_interrupted_rewrap_keeps_its_committed_batches_and_the_rerun_does_only_the_rest():
    # given twelve data keys under the first master key, and a rotation
    sealed = _people(12)
    first = rotation.status().primary_key_id
    second = rotation.rotate_master_key()
    order = list(DataKey.objects.order_by("subject").values_list("subject", flat=True))
    # and the eighth key (in the re-wrap's order) cannot be unwrapped for now
    broken = DataKey.objects.get(subject=order[7])
    good_bytes = bytes(broken.wrapped)
    DataKey.objects.filter(subject=broken.subject).update(wrapped=b"\x01damaged")

    # when the re-wrap runs in batches of five, it stops at that key
    with pytest.raises(VaultError):
        rotation.rewrap_all(batch_size=5)
    # then the first batch was committed, and the batch it stopped in was not
    by_key = dict(DataKey.objects.values_list("subject", "master_key_id"))
    assert [by_key[s] for s in order[:5]] == [second] * 5
    assert [by_key[s] for s in order[5:]] == [first] * 7
    assert rotation.status().pending == 7
    done_at = dict(
        DataKey.objects.filter(subject__in=order[:5]).values_list("subject", "rewrapped_at")
    )

    # when the key is repaired and the re-wrap runs again (a retry of the task)
    DataKey.objects.filter(subject=broken.subject).update(wrapped=good_bytes)
    progress: list[tuple[int, int]] = []
    assert rotation.rewrap_all(batch_size=5, progress=lambda d, t: progress.append((d, t))) == 7
    # then it re-wrapped only the seven left, batch by batch, and left the first five alone
    assert progress == [(5, 7), (7, 7)]
    assert rotation.status().pending == 0
    assert done_at == dict(
        DataKey.objects.filter(subject__in=order[:5]).values_list("subject", "rewrapped_at")
    )
    # and every value still opens, so the old master key can go
    for i, (subject, blob) in enumerate(sealed.items()):
        assert open_sealed(subject=subject, blob=blob, context=CONTEXT) == f"value {i}"
    assert first in rotation.retire_old_master_keys()
