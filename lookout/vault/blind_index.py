"""Keyed blind indexes: find a row by an exact value without storing the value.

HMAC-SHA256 (Tink PRF) under a key from the master key source; the database holds only the
digest, which cannot be reversed or recomputed without that key.
"""

from __future__ import annotations

from lookout.vault.master import master_cache

OUTPUT_BYTES = 32


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def blind_index(value: str, *, domain: str) -> str:
    _, index_prf, _ = master_cache.get()
    message = domain.encode() + b"\x00" + value.encode("utf-8")
    return index_prf.primary().compute(message, OUTPUT_BYTES).hex()


def email_index(email: str) -> str:
    return blind_index(normalise_email(email), domain="email")
