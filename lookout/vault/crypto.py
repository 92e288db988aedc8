"""Field encryption under each person's own data key (C4.2).

A data key is 32 random bytes, wrapped (Tink AEAD, AES-256-GCM) by the master keyset with the
subject id as associated data. Field values are sealed with AES-256-GCM from `cryptography` under
that data key; the associated data names the table, column and row, so a ciphertext copied into
another row or column fails to open.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import transaction
from django.utils import timezone
from tink import TinkError

from lookout.core.rows import insert
from lookout.vault.master import master_cache
from lookout.vault.models import DataKey
from lookout.vault.routers import KEYSTORE

FORMAT_V1 = b"\x01"
NONCE_BYTES = 12


class VaultError(Exception):
    pass


class KeyDestroyed(VaultError):
    """The person's data key was destroyed (erasure): their data cannot be read by anyone."""


class TamperedCiphertext(VaultError):
    """The ciphertext does not open under this context: altered, swapped or moved."""


def _wrap_context(subject: uuid.UUID) -> bytes:
    return b"lookout.datakey:" + str(subject).encode()


def create_data_key(*, subject: uuid.UUID, kind: str) -> DataKey:
    wrap, _, keys = master_cache.get()
    raw = AESGCM.generate_key(bit_length=256)
    row = insert(  # DataKey.objects.create without the ORM's compile step (core.rows)
        DataKey(
            subject=subject,
            kind=kind,
            wrapped=wrap.encrypt(raw, _wrap_context(subject)),
            master_key_id=keys.primary_wrap_key_id,
        )
    )
    ring = _active_ring.get()
    if ring is not None:  # sealed again within this unit of work: no fetch, no unwrap
        ring._aeads[subject] = AESGCM(raw)
    return row


def create_data_keys(
    *, subjects: Iterable[uuid.UUID], kind: str, keys: KeyRing | None = None
) -> None:
    """Data keys for many new people in one insert (imports, benchmarks); with `keys`, the new
    keys are also put on that ring so the caller can seal under them without reading them back."""
    wrap, _, master = master_cache.get()
    rows = []
    for subject in subjects:
        raw = AESGCM.generate_key(bit_length=256)
        rows.append(
            DataKey(
                subject=subject,
                kind=kind,
                wrapped=wrap.encrypt(raw, _wrap_context(subject)),
                master_key_id=master.primary_wrap_key_id,
            )
        )
        if keys is not None:
            keys._aeads[subject] = AESGCM(raw)
    DataKey.objects.bulk_create(rows, batch_size=1000)


class KeyNotDurable(VaultError):
    """A new person's key was asked for inside an open key-store transaction."""


def _caller_transaction_open(alias: str) -> bool:
    """True when the caller holds a transaction on `alias` (the test case's own wrapping
    transaction, which rolls everything back at the end of a test, does not count)."""
    blocks = transaction.get_connection(alias).atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def new_subject(*, kind: str) -> uuid.UUID:
    """A fresh pseudonymous id for a person, with their own data key, committed in the key
    store before this returns.

    Why committed first: the key store and the main database commit apart. If a record sealed
    under the key could commit before the key, a crash between the two commits would leave
    data nobody can ever open (an order the warehouse cannot ship), reported as saved. The
    other way round, a crash leaves only an unused key, which holds no data and which the
    retention rule `vault.unused_keys` destroys. So the caller must not hold a key-store
    transaction here (it would delay this commit until its own): that raises `KeyNotDurable`.
    Within a `key_ring()` block the new key is also kept on the ring, so sealing under it
    reads nothing back.
    """
    if _caller_transaction_open(KEYSTORE):
        raise KeyNotDurable(
            "A new data key must commit on its own, before anything sealed with it: call "
            "new_subject() outside any key-store transaction."
        )
    subject = uuid.uuid4()
    with transaction.atomic(using=KEYSTORE):
        create_data_key(subject=subject, kind=kind)
    return subject


def _unwrap(row: DataKey) -> bytes:
    wrap, _, _ = master_cache.get()
    try:
        return wrap.decrypt(bytes(row.wrapped), _wrap_context(row.subject))
    except TinkError as exc:
        raise VaultError(f"The data key of {row.subject} does not unwrap.") from exc


@dataclass(frozen=True)
class KeyCheck:
    """What `verify_data_keys` found: how many keys it tried, and whose did not unwrap."""

    checked: int
    failed: tuple[uuid.UUID, ...]


def verify_data_keys(*, batch_size: int = 500) -> KeyCheck:
    """Whether every data key in the key store unwraps under the current master keyset.

    For the self-audit (C4.2): it proves the keys are usable without anyone holding one. Each
    key is unwrapped and dropped here; no key, and nothing sealed under one, leaves this
    function, so a caller learns only counts and the pseudonymous ids of keys that failed. The
    caller records the check in the audit log (the vault sits below the audit app)."""
    failed: list[uuid.UUID] = []
    checked = 0
    rows = DataKey.objects.only("subject", "wrapped").order_by("subject")
    for row in rows.iterator(batch_size):
        checked += 1
        try:
            _unwrap(row)
        except VaultError:
            failed.append(row.subject)
    return KeyCheck(checked=checked, failed=tuple(failed))


def data_key(subject: uuid.UUID) -> bytes:
    row = DataKey.objects.filter(subject=subject).only("subject", "wrapped").first()
    if row is None:
        raise KeyDestroyed(f"No data key for subject {subject}.")
    return _unwrap(row)


@dataclass
class KeyRing:
    """Data keys unwrapped once for the length of one call (a bulk read or write).

    Reading a thousand sealed values of one person one by one would fetch and unwrap their data
    key a thousand times; a ring fetches the keys of many subjects in one query and unwraps each
    once. It lives only as long as the call that made it — never in a process-wide cache — so a
    key destroyed by an erasure is not readable afterwards from memory somewhere.
    """

    _aeads: dict[uuid.UUID, AESGCM | None] = field(default_factory=dict)

    def load(self, subjects: Iterable[uuid.UUID]) -> None:
        """Fetch and unwrap, in one query, the keys of `subjects` not yet on the ring."""
        missing = {s for s in subjects if s not in self._aeads}
        if not missing:
            return
        rows = DataKey.objects.filter(subject__in=missing).only("subject", "wrapped")
        for row in rows:
            self._aeads[row.subject] = AESGCM(_unwrap(row))
        for subject in missing:
            self._aeads.setdefault(subject, None)  # destroyed: remembered for this call only

    def aead(self, subject: uuid.UUID) -> AESGCM:
        if subject not in self._aeads:
            self.load([subject])
        found = self._aeads[subject]
        if found is None:
            raise KeyDestroyed(f"No data key for subject {subject}.")
        return found

    def open_all(
        self,
        subject: uuid.UUID,
        values: Sequence[Sealed | bytes | str | None],
        contexts: Sequence[bytes],
    ) -> list[str | None]:
        """`open_sealed` for many values of one person, each with its context, in one call.

        Why: a bulk read (an access file) opens thousands of values of one person; a call into
        the vault per value cost more than decrypting them. Each value is a `Sealed` or the
        ciphertext's bytes; None (nothing stored) and a str (plaintext of a record not saved
        yet, as the gate treats it) come back as they are. The person's key is
        looked up at the first value to open, so a destroyed key raises `KeyDestroyed` then;
        the checks and errors are `open_sealed`'s.
        """
        decrypt = None
        opened: list[str | None] = []
        append = opened.append
        for value, context in zip(values, contexts, strict=True):
            if value is None or type(value) is str:
                append(value)
                continue
            if decrypt is None:
                decrypt = self.aead(subject).decrypt
            blob = value if isinstance(value, bytes) else value.blob  # type: ignore[union-attr]
            append(_open_blob(decrypt, blob, context))
        return opened


_active_ring: ContextVar[KeyRing | None] = ContextVar("lookout_key_ring", default=None)


@contextmanager
def key_ring() -> Iterator[KeyRing]:
    """One unit of work (placing an order, starting its payment) that seals and opens several
    values of the same people: each data key is fetched and unwrapped once for all of them.

    Fields seal and open through the ring while the block runs (nested blocks share the outer
    ring); the unwrapped keys are dropped when it ends, so, as with any `KeyRing`, nothing
    outlives the call that needed it, and a key destroyed here leaves the ring at once.
    """
    current = _active_ring.get()
    if current is not None:
        yield current
        return
    ring = KeyRing()
    token = _active_ring.set(ring)
    try:
        yield ring
    finally:
        _active_ring.reset(token)
        ring._aeads.clear()


def active_ring() -> KeyRing | None:
    """The ring of the `key_ring()` block running now, if any."""
    return _active_ring.get()


def _aead(subject: uuid.UUID, keys: KeyRing | None) -> AESGCM:
    if keys is None:
        keys = _active_ring.get()
    return keys.aead(subject) if keys is not None else AESGCM(data_key(subject))


def _forget(subjects: Iterable[uuid.UUID]) -> None:
    ring = _active_ring.get()
    if ring is not None:
        for subject in subjects:
            ring._aeads[subject] = None  # destroyed: not readable from the ring either


def seal(
    *, subject: uuid.UUID, plaintext: str, context: bytes, keys: KeyRing | None = None
) -> bytes:
    """Encrypt under the person's data key; `keys` reuses keys already unwrapped in this call."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(subject, keys).encrypt(nonce, plaintext.encode("utf-8"), context)
    return FORMAT_V1 + nonce + sealed


def open_sealed(
    *, subject: uuid.UUID, blob: bytes, context: bytes, keys: KeyRing | None = None
) -> str:
    """Decrypt; `keys` reuses keys already unwrapped in this call (see `KeyRing`)."""
    return _open_blob(_aead(subject, keys).decrypt, blob, context)


_HEADER = 1 + NONCE_BYTES  # format byte + nonce


def _open_blob(decrypt: Callable[[bytes, bytes, bytes], bytes], blob: bytes, context: bytes) -> str:
    """One sealed value opened with a person's AES-GCM `decrypt`: the format and the tag are
    checked here, for `open_sealed` and `KeyRing.open_all` alike."""
    if not blob.startswith(FORMAT_V1) or len(blob) < _HEADER + 16:
        raise TamperedCiphertext("Unknown ciphertext format.")
    try:
        return decrypt(blob[1:_HEADER], blob[_HEADER:], context).decode("utf-8")
    except InvalidTag as exc:
        raise TamperedCiphertext("Ciphertext does not match its table, column and row.") from exc


def destroy_data_key(*, subject: uuid.UUID) -> bool:
    """Crypto-shred: delete the wrapped key. True when a key existed."""
    _forget([subject])
    deleted, _ = DataKey.objects.filter(subject=subject).delete()
    return bool(deleted)


def destroy_data_keys(*, subjects: Iterable[uuid.UUID]) -> int:
    """Crypto-shred many people at once (retention): one DELETE, not one per person.
    Returns how many keys existed."""
    wanted = list(set(subjects))
    _forget(wanted)
    deleted = 0
    for start in range(0, len(wanted), 1000):  # stay under every database's parameter limit
        deleted += DataKey.objects.filter(subject__in=wanted[start : start + 1000]).delete()[0]
    return deleted


def rewrap(row: DataKey) -> bool:
    """Re-wrap one data key under the current primary master key; False if already there."""
    wrap, _, keys = master_cache.get()
    if row.master_key_id == keys.primary_wrap_key_id:
        return False
    raw = _unwrap(row)
    updated = DataKey.objects.filter(subject=row.subject, master_key_id=row.master_key_id).update(
        wrapped=wrap.encrypt(raw, _wrap_context(row.subject)),
        master_key_id=keys.primary_wrap_key_id,
        rewrapped_at=timezone.now(),
    )
    return bool(updated)


@dataclass(frozen=True)
class Sealed:
    """A personal value as it comes out of the database: ciphertext only.

    It prints as a mask, so a template, log line or error page that receives it shows nothing.
    Plaintext comes only from `lookout.access.reveal`.
    """

    blob: bytes

    def __str__(self) -> str:
        return "•••"

    def __repr__(self) -> str:
        return "<Sealed •••>"

    def __len__(self) -> int:
        return len(self.blob)
