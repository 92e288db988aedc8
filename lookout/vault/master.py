"""The master keyset: lives outside the database and wraps every person's data key (C4.2).

The default key source is a Tink keyset file under `var/` (mode 0600, never committed). A KMS or
HashiCorp Vault source implements the same `KeySource` protocol: it returns the AEAD that wraps
data keys and the PRF that computes blind indexes; Tink's KMS clients plug in there.

Rotation adds a new primary AEAD key to the keyset; older keys stay so that every data key still
unwraps while a background task re-wraps them under the new primary.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import tink
from django.conf import settings
from tink import aead, prf, proto_keyset_format, secret_key_access
from tink.proto import tink_pb2

aead.register()
prf.register()


class KeySourceError(RuntimeError):
    pass


@dataclass(frozen=True)
class MasterKeys:
    wrap: tink.KeysetHandle
    index: tink.KeysetHandle

    @property
    def primary_wrap_key_id(self) -> int:
        return int(self.wrap.keyset_info().primary_key_id)

    def wrap_key_ids(self) -> list[int]:
        return [int(k.key_id) for k in self.wrap.keyset_info().key_info]


class KeySource(Protocol):
    def load(self) -> MasterKeys: ...

    def save(self, keys: MasterKeys) -> None: ...

    def version(self) -> object:
        """Anything that changes when the stored keys change (so other processes reload)."""
        ...


def _to_json(handle: tink.KeysetHandle) -> str:
    serialized = proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
    keyset = tink_pb2.Keyset.FromString(serialized)
    from google.protobuf import json_format

    return json_format.MessageToJson(keyset)


def _from_json(text: str) -> tink.KeysetHandle:
    from google.protobuf import json_format

    keyset = json_format.Parse(text, tink_pb2.Keyset())
    return proto_keyset_format.parse(keyset.SerializeToString(), secret_key_access.TOKEN)


class KeyFileSource:
    """A JSON file holding two cleartext Tink keysets; protect it like a private key."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.exists()

    def version(self) -> object:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def load(self) -> MasterKeys:
        try:
            document = json.loads(self.path.read_text())
        except FileNotFoundError as exc:
            raise KeySourceError(
                f"No master key file at {self.path}. Run `lookout keys init` to create one."
            ) from exc
        return MasterKeys(wrap=_from_json(document["wrap"]), index=_from_json(document["index"]))

    def save(self, keys: MasterKeys) -> None:
        document = {"wrap": _to_json(keys.wrap), "index": _to_json(keys.index)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".master-", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(document, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)  # atomic: a reader sees the old or the new file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def new_master_keys() -> MasterKeys:
    return MasterKeys(
        wrap=tink.new_keyset_handle(aead.aead_key_templates.AES256_GCM),
        index=tink.new_keyset_handle(prf.prf_key_templates.HMAC_SHA256),
    )


def with_new_primary(keys: MasterKeys) -> MasterKeys:
    """Add a fresh AES-256-GCM key to the wrapping keyset and make it primary."""
    current = tink_pb2.Keyset.FromString(
        proto_keyset_format.serialize(keys.wrap, secret_key_access.TOKEN)
    )
    taken = {k.key_id for k in current.key}
    while True:
        fresh = tink_pb2.Keyset.FromString(
            proto_keyset_format.serialize(
                tink.new_keyset_handle(aead.aead_key_templates.AES256_GCM),
                secret_key_access.TOKEN,
            )
        )
        if fresh.key[0].key_id not in taken:
            break
    current.key.append(fresh.key[0])
    current.primary_key_id = fresh.key[0].key_id
    wrap = proto_keyset_format.parse(current.SerializeToString(), secret_key_access.TOKEN)
    return MasterKeys(wrap=wrap, index=keys.index)


def without_keys(keys: MasterKeys, retired: set[int]) -> MasterKeys:
    """Drop retired wrapping keys (never the primary) once no data key needs them."""
    current = tink_pb2.Keyset.FromString(
        proto_keyset_format.serialize(keys.wrap, secret_key_access.TOKEN)
    )
    if current.primary_key_id in retired:
        raise KeySourceError("The primary master key cannot be retired.")
    kept = [k for k in current.key if k.key_id not in retired]
    del current.key[:]
    current.key.extend(kept)
    wrap = proto_keyset_format.parse(current.SerializeToString(), secret_key_access.TOKEN)
    return MasterKeys(wrap=wrap, index=keys.index)


def key_source() -> KeySource | KeyFileSource:
    if settings.LOOKOUT_KMS_URI:
        raise KeySourceError(
            "LOOKOUT_KMS_URI is set but no KMS client is configured in this deployment; "
            "see docs/operations.md."
        )
    return KeyFileSource(settings.LOOKOUT_MASTER_KEY_FILE)


class _Cache:
    """Master keys loaded once per process, reloaded when the key source changes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: object = None
        self.keys: MasterKeys | None = None
        self.wrap_aead: aead.Aead | None = None
        self.index_prf: prf.PrfSet | None = None

    def get(self) -> tuple[aead.Aead, prf.PrfSet, MasterKeys]:
        source = key_source()
        version = source.version()
        with self.lock:
            if self.keys is None or version != self.version:
                keys = source.load()
                self.keys = keys
                self.wrap_aead = keys.wrap.primitive(aead.Aead)
                self.index_prf = keys.index.primitive(prf.PrfSet)
                self.version = version
            assert self.wrap_aead is not None and self.index_prf is not None
            return self.wrap_aead, self.index_prf, self.keys

    def clear(self) -> None:
        with self.lock:
            self.keys = None
            self.version = None


master_cache = _Cache()


def ensure_master_keys() -> bool:
    """Create the master key file if none exists; True when one was created."""
    source = key_source()
    if isinstance(source, KeyFileSource) and not source.exists():
        source.save(new_master_keys())
        master_cache.clear()
        return True
    return False
