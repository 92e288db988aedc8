"""How an app declares each of its model fields in its `personal_data.py` (commitment C2.1).

Every concrete field of every model must be declared as `Personal` (with a fideslang data
category, the purposes it may be read for and a retention period) or `NotPersonal` (with the
reason). `lookout.privacy.inventory` collects the declarations; a test fails on any field that
is missing, so a new field cannot go unclassified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from lookout.core.purposes import Purpose


@dataclass(frozen=True)
class Retention:
    """How long a kind of data is kept, counted from `starts_at` (an event named in words)."""

    name: str
    period: timedelta
    starts_at: str

    def __str__(self) -> str:
        return f"{self.period.days} days after {self.starts_at}"


ACCOUNT_LIFETIME = Retention("account", timedelta(days=3 * 365), "the account's last sign-in")
STAFF_LIFETIME = Retention("staff", timedelta(days=365), "the staff account is closed")
ORDER_RETENTION = Retention("order", timedelta(days=6 * 365), "delivery (tax records)")
AUDIT_RETENTION = Retention("audit", timedelta(days=6 * 365), "the entry was written")
SESSION_RETENTION = Retention("session", timedelta(days=14), "the session was last used")
CONSENT_RETENTION = Retention("consent", timedelta(days=3 * 365), "the choice was withdrawn")
CACHE_RETENTION = Retention("cache", timedelta(days=1), "the entry was written")
TASK_RETENTION = Retention("task", timedelta(days=30), "the task finished")
CART_RETENTION = Retention("cart", timedelta(days=30), "the cart was last changed")


@dataclass(frozen=True)
class Personal:
    """A field holding personal data; stored encrypted unless `stored_as` says otherwise."""

    category: str
    purposes: frozenset[Purpose]
    retention: Retention
    stored_as: str = "ciphertext (AEAD under the person's data key)"

    @property
    def is_personal(self) -> bool:
        return True


@dataclass(frozen=True)
class NotPersonal:
    """A field that identifies nobody; `why` says so in words a reviewer can check."""

    why: str
    retention: Retention | None = None
    category: str = field(default="system.operations")

    @property
    def is_personal(self) -> bool:
        return False


def personal(category: str, *purposes: Purpose, retention: Retention, **kw: str) -> Personal:
    return Personal(category=category, purposes=frozenset(purposes), retention=retention, **kw)


Declaration = Personal | NotPersonal
ALL_COLUMNS = "*"


@dataclass(frozen=True)
class RawTable:
    """A table without a Django model (made by a command such as `createcachetable`, or by SQL
    in a migration, such as a full-text index). Declared in an app's `personal_data.py` as
    `RAW_TABLES = [RawTable(...)]`. A column named "*" covers every column not named otherwise
    (for tables whose columns the database engine chooses, such as FTS5 shadow tables).
    """

    table: str
    owner: str
    columns: Mapping[str, Declaration]


def declaration(model: type, field_name: str) -> Personal | NotPersonal:
    """The declaration of one field, read from its app's `personal_data.py`."""
    from importlib import import_module

    meta = model._meta  # type: ignore[attr-defined]
    module = import_module(f"{meta.app_config.name}.personal_data")
    concrete = getattr(meta, "concrete_model", model) or model
    try:
        return module.FIELDS[concrete][field_name]
    except KeyError as exc:
        raise LookupError(f"{meta.label}.{field_name} is not declared in personal_data.py") from exc
