"""Self-audit checks on what is stored: plaintext, the inventory, the audit chain, the keys.

They read the deployment's own databases (`default` and `keystore`) through raw cursors, so
they see the bytes at rest, not what the ORM decrypts.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Min
from django.db.models.functions import Coalesce
from django.utils import timezone

from lookout.compliance.selfaudit.result import CheckResult, titled

SAMPLE_ROWS = 2000  # per table: the scan is a sample, the newest rows by the engine's order
EMAIL = re.compile(
    rb"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,}"
)
DIGITS = re.compile(rb"(?<![0-9])(?:[0-9][ -]?){12,18}[0-9](?![0-9])")
ALIASES = ("default", "keystore")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _store_addresses() -> set[bytes]:
    """The store's own addresses (sender, server): not personal data."""
    found: set[bytes] = set()
    for name in ("DEFAULT_FROM_EMAIL", "SERVER_EMAIL"):
        found.update(m.lower() for m in EMAIL.findall(str(getattr(settings, name, "")).encode()))
    return found


def _as_bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8", "replace")


def findings_in(value: Any, *, allowed: set[bytes]) -> set[str]:
    """ "email" and/or "card" when `value` holds one in plaintext."""
    raw = _as_bytes(value)
    found = set()
    if any(m.lower() not in allowed for m in EMAIL.findall(raw)):
        found.add("email")
    for match in DIGITS.findall(raw):
        digits = re.sub(rb"[ -]", b"", match).decode()
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            found.add("card")
    return found


@titled("No plaintext email address or card number in the databases")
def plaintext_scan(*, sample_rows: int = SAMPLE_ROWS) -> CheckResult:
    """No email address or Luhn-valid card number in plaintext in any table (C2.3, C4.2)."""
    allowed = _store_addresses()
    hits: list[dict[str, Any]] = []
    tables = rows = 0
    for alias in ALIASES:
        connection = connections[alias]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names(cursor):
                tables += 1
                columns = [
                    c.name for c in connection.introspection.get_table_description(cursor, table)
                ]
                cursor.execute(f"SELECT * FROM {quote(table)} LIMIT %s", [sample_rows])  # noqa: S608
                for row in cursor.fetchall():
                    rows += 1
                    for column, value in zip(columns, row, strict=True):
                        for kind in findings_in(value, allowed=allowed):
                            hits.append(
                                {"database": alias, "table": table, "column": column, "kind": kind}
                            )
    grouped: dict[tuple[str, str, str, str], int] = {}
    for hit in hits:
        key = (hit["database"], hit["table"], hit["column"], hit["kind"])
        grouped[key] = grouped.get(key, 0) + 1
    found = [
        {"database": d, "table": t, "column": c, "kind": k, "rows": n}
        for (d, t, c, k), n in sorted(grouped.items())
    ]
    summary = (
        f"{rows} rows of {tables} tables scanned (up to {sample_rows} per table): no plaintext "
        "email or card number"
        if not found
        else f"plaintext personal data in {len(found)} column(s)"
    )
    return CheckResult(
        "plaintext_scan",
        ("C2.3", "C4.2"),
        not found,
        summary,
        {"tables": tables, "rows_scanned": rows, "sample_per_table": sample_rows, "found": found},
    )


@titled("Every table and column is in the data inventory")
def inventory_coverage() -> CheckResult:
    """Every table and column of both databases is in the data inventory (C2.1)."""
    from lookout.privacy.inventory import unknown_columns

    unknown = {alias: unknown_columns(using=alias) for alias in ALIASES}
    missing = [f"{alias}:{col}" for alias, cols in unknown.items() for col in cols]
    return CheckResult(
        "inventory_coverage",
        ("C2.1",),
        not missing,
        "every table and column is in the data inventory"
        if not missing
        else f"{len(missing)} column(s) not in the data inventory",
        {"unknown_columns": missing},
    )


@titled("The audit log's chain of hashes is unbroken")
def audit_chain() -> CheckResult:
    """The audit log's hash chain verifies end to end (C4.4)."""
    from lookout.audit.verify import verify_chain

    result = verify_chain()
    evidence = {
        "checked": result.checked,
        "head_seq": result.head_seq,
        "head_hash": result.head_hash,
        "heads": {chain: [place, digest] for chain, (place, digest) in result.heads.items()},
        "first_broken_seq": result.first_broken_seq,
    }
    summary = (
        f"{result.checked} entries verified"
        if result.ok
        else f"broken at entry #{result.first_broken_seq}: {result.reason}"
    )
    return CheckResult("audit_chain", ("C4.4",), result.ok, summary, evidence)


def _in_use_since(primary: int) -> datetime | None:
    from lookout.vault.models import DataKey

    first: datetime | None = (
        DataKey.objects.filter(master_key_id=primary)
        .aggregate(first=Min(Coalesce("rewrapped_at", "created_at")))
        .get("first")
    )
    return first


@titled("Encryption keys unwrap and the master key is not too old")
def keys() -> CheckResult:
    """Every data key unwraps under the current master keyset; the master key's age (C4.2).

    The age is counted from the first data key wrapped under the current primary master key
    (the keyset itself carries no dates). Older than LOOKOUT_MASTER_KEY_MAX_AGE_DAYS (default
    365) fails: rotate with `lookout keys rotate`.
    """
    from lookout.audit.models import Outcome
    from lookout.audit.services import record
    from lookout.vault.crypto import verify_data_keys
    from lookout.vault.rotation import status

    state = status()
    # Through the vault's public check: no key leaves the vault, and the check is on record.
    found = verify_data_keys()
    checked, failed = found.checked, [str(subject) for subject in found.failed]
    record(
        actor=None,
        action="vault.keys_verified",
        outcome=Outcome.OK if not failed else Outcome.FAILED,
        detail={"checked": checked, "failed": len(failed)},
    )
    since = _in_use_since(state.primary_key_id)
    age = (timezone.now() - since).days if since else 0
    max_age = int(getattr(settings, "LOOKOUT_MASTER_KEY_MAX_AGE_DAYS", 365))
    ok = not failed and age <= max_age
    problems = []
    if failed:
        problems.append(f"{len(failed)} data key(s) do not unwrap")
    if age > max_age:
        problems.append(f"the master key is {age} days old (rotate after {max_age})")
    return CheckResult(
        "keys",
        ("C4.2",),
        ok,
        "; ".join(problems) or f"{checked} data keys unwrap; master key {age} days old",
        {
            "data_keys": checked,
            "not_unwrapping": failed[:50],
            "primary_master_key": state.primary_key_id,
            "master_keys": state.master_key_ids,
            "pending_rewrap": state.pending,
            "primary_in_use_since": since.isoformat() if since else None,
            "age_days": age,
            "max_age_days": max_age,
        },
    )
