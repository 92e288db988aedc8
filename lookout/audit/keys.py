"""The audit log's secret keys, derived from the master keyset (issue 19, finding 5).

The chain is keyed so that someone who can write to the database but does not hold the master
keyset cannot recompute an entry's hash, and so cannot edit, re-number or re-chain a lane
without `verify` noticing (decision 0035). No new secret is kept: the keys are derived from the
master keyset's PRF key (the HMAC-SHA256 key of the blind indexes, `lookout.vault.master`),
which lives outside the database, in the same file or KMS as the key that wraps every data key.

Derivation: key = PRF(index key, label), 32 bytes, one label per use. A blind index computes the
same PRF over `domain + NUL + value` (`lookout.vault.blind_index`), so every blind-index input
holds a NUL byte; the labels below hold none, so no blind index (which the database does store)
can ever equal an audit key. The index key is never rotated (every blind index would change
with it); if it ever is, the old key must be kept for the audit log, or the log re-chained.

One derivation per process: the keys are cached with the vault's loaded master keys, and
derived again only when the vault loads the key file afresh (cleared, or the file changed). The
cache is checked without asking the vault to look at the file (a `stat` and a lock, about 20
microseconds, more than the rest of an entry's hashing): the index key never changes, and every
sealing of personal data has the vault check the file anyway. Each key is kept as a prepared
HMAC object; an entry's hash is a copy of it fed one message (the key's pads are not hashed
again for every entry).
"""

from __future__ import annotations

import hashlib
import hmac
import threading

# OpenSSL's HMAC object, without the pure-Python wrapper of `hmac.HMAC` around it (that wrapper
# doubles the cost of a copy). CPython always has it where `hashlib` uses OpenSSL, as here.
from _hashlib import hmac_new as _prepared_hmac
from typing import Any, Protocol

from lookout.vault.master import master_cache

CHAIN_LABEL = b"lookout audit chain key v1"
CHECKPOINT_LABEL = b"lookout audit checkpoint key v1"
KEY_BYTES = 32


class Mac(Protocol):
    """A prepared HMAC-SHA256: `mac_hex` copies it for every message."""

    def copy(self) -> Any: ...


class _Keys:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.source: Any = None  # the vault's MasterKeys the keys were derived from
        self.chain: Mac = _prepared_hmac(b"", digestmod="sha256")
        self.checkpoint: Mac = self.chain

    def get(self) -> tuple[Mac, Mac]:
        if master_cache.keys is None or master_cache.keys is not self.source:
            _, index_prf, keys = master_cache.get()
            with self.lock:
                if keys is not self.source:
                    primary = index_prf.primary()
                    chain = primary.compute(CHAIN_LABEL, KEY_BYTES)
                    checkpoint = primary.compute(CHECKPOINT_LABEL, KEY_BYTES)
                    self.chain = _prepared_hmac(chain, digestmod="sha256")
                    self.checkpoint = _prepared_hmac(checkpoint, digestmod="sha256")
                    self.source = keys
        return self.chain, self.checkpoint


_keys = _Keys()


def chain_key() -> Mac:
    """The key every entry's hash is computed under, prepared."""
    return _keys.get()[0]


def checkpoint_key() -> Mac:
    """The key every checkpoint file is signed with (a separate key: a checkpoint and an entry
    are different documents, and neither's MAC should ever be usable as the other's)."""
    return _keys.get()[1]


def mac_hex(key: Mac, message: bytes) -> str:
    """HMAC-SHA256 of `message` under a prepared key."""
    mac = key.copy()
    mac.update(message)
    result: str = mac.hexdigest()
    return result


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))


def unkeyed_hex(message: bytes) -> str:
    """The hash entries had before the chain was keyed (migration 0006 checks it one last time)."""
    return hashlib.sha256(message).hexdigest()
