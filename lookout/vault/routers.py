"""Send the vault's key table to the key store database, apart from the data it protects."""

from __future__ import annotations

from typing import Any

KEYSTORE_APPS = {"vault"}
KEYSTORE = "keystore"


class KeystoreRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return KEYSTORE if model._meta.app_label in KEYSTORE_APPS else "default"

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return KEYSTORE if model._meta.app_label in KEYSTORE_APPS else "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        in_keystore = {obj1._meta.app_label in KEYSTORE_APPS, obj2._meta.app_label in KEYSTORE_APPS}
        return len(in_keystore) == 1

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if app_label in KEYSTORE_APPS:
            return db == KEYSTORE
        return db == "default"
