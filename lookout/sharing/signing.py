"""The store's Ed25519 signing key for what it tells partners and people about an erasure.

Two kinds of document are signed with it (issue 26, item 2): the redaction request each partner
receives when a person it was told about is erased, and the person's deletion certificate. Each
carries a `type` member, so one can never pass for the other.

The key is kept like the audit log's keys (`lookout.audit.keys`): no new secret is stored; the
32-byte Ed25519 seed is derived from the master keyset's PRF key with its own label (the label
holds no NUL byte, so no blind index can equal it). It lives where the master keyset lives (the
key file or the KMS), so a backup of the database cannot sign anything. The public half is
published at `/.well-known/lookout-deletion-key.pem` (and as a JWK beside it) for anyone to
verify with; `key_id` names it (the first 16 hex digits of SHA-256 over its raw 32 bytes).

What is signed is the canonical JSON of the document: keys sorted, no spaces, ASCII only
(`canonical`). `verify_document` is the whole check; `lookout verify-certificate <file>` runs it,
and docs/erasure-certificate.md gives the same check in a dozen lines of Python for a verifier
who does not run the store.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from lookout.vault.master import master_cache

LABEL = b"lookout deletion signing key v1"
ALGORITHM = "Ed25519"
KEY_PATH = "/.well-known/lookout-deletion-key.pem"
JWK_PATH = "/.well-known/lookout-deletion-key.jwk"


class SignatureInvalid(Exception):
    """The document is not one this key signed (or was changed after signing)."""


class _Key:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.source: Any = None
        self.private: Ed25519PrivateKey | None = None

    def get(self) -> Ed25519PrivateKey:
        _, index_prf, keys = master_cache.get()
        with self.lock:
            if self.private is None or keys is not self.source:
                seed = index_prf.primary().compute(LABEL, 32)
                self.private = Ed25519PrivateKey.from_private_bytes(seed)
                self.source = keys
            return self.private


_key = _Key()


def canonical(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key() -> Ed25519PublicKey:
    return _key.get().public_key()


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey | None = None) -> str:
    return hashlib.sha256(_raw_public(key or public_key())).hexdigest()[:16]


def public_key_pem() -> bytes:
    return public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_jwk() -> dict[str, str]:
    key = public_key()
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64(_raw_public(key)), "kid": key_id(key)}


def sign_bytes(message: bytes) -> str:
    """The signature of `message`, base64url without padding."""
    return _b64(_key.get().sign(message))


def sign_document(body: dict[str, Any]) -> dict[str, Any]:
    """`{"document": body, "signature": {...}}`: the signature covers `canonical(body)`."""
    return {
        "document": body,
        "signature": {
            "alg": ALGORITHM,
            "key_id": key_id(),
            "value": sign_bytes(canonical(body)),
        },
    }


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureInvalid("The public key is not an Ed25519 key.")
    return key


def verify_bytes(message: bytes, signature: str, *, key: Ed25519PublicKey) -> None:
    try:
        key.verify(_unb64(signature), message)
    except (InvalidSignature, ValueError) as exc:
        raise SignatureInvalid("The signature does not match.") from exc


def verify_document(signed: Any, *, key: Ed25519PublicKey | None = None) -> dict[str, Any]:
    """The signed body when its signature verifies with `key` (the store's own by default);
    raises SignatureInvalid otherwise, saying why."""
    key = key or public_key()
    if not isinstance(signed, dict) or not isinstance(signed.get("document"), dict):
        raise SignatureInvalid("This is not a signed document (no 'document' object).")
    signature = signed.get("signature")
    if not isinstance(signature, dict) or signature.get("alg") != ALGORITHM:
        raise SignatureInvalid("The document carries no Ed25519 signature.")
    if signature.get("key_id") != key_id(key):
        raise SignatureInvalid("The document was signed with another key than this one.")
    value = signature.get("value")
    if not isinstance(value, str):
        raise SignatureInvalid("The signature is missing.")
    verify_bytes(canonical(signed["document"]), value, key=key)
    return signed["document"]
