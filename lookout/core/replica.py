"""Reads that may come from a read replica of the main database: the back office's trend reports.

Why: the reports aggregate every analytics event and order line of up to 90 days. On a busy
shop those scans compete with checkout for the primary's CPU and cache, while a report minutes
behind is as useful as one that is not. So, when the operator sets `REPLICA_DATABASE_URL` (a
PostgreSQL streaming replica of the main database), the reports read there
(`docs/operations.md`). Nothing else does: writes always go to the primary, and so do reads
that lead to a write (the daily roll-up, retention, checkout), because a replica may lag.

Why a block and not `.using("replica")` in each query: the report functions are plain ORM code;
one `with replica_reads():` around a report routes all of its reads and nothing else's, and a
report added later cannot forget half of its queries. The router below is listed first in
`DATABASE_ROUTERS`; outside such a block it gives no answer and the next router decides.

If the replica cannot be reached, the block reads from the primary instead and says so in the
log: a report must not fail because its copy of the data is away.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import OperationalError

REPLICA = "replica"
# Apps whose tables are not on the main database, so not on its replica either: the key store's
# (vault.routers.KEYSTORE_APPS, named again here because core does not import vault).
_ELSEWHERE = {"vault"}

log = logging.getLogger(__name__)
_reading_from: ContextVar[str | None] = ContextVar("replica_reading_from", default=None)


def configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def replica_reads() -> Iterator[str]:
    """Route this block's reads of the main database to the replica, if one is configured and
    answers; yields the alias the reads go to. A block inside another keeps the outer one's
    choice: a report is read from one place, and a replica that is down is tried once per
    report, not once per table."""
    outer = _reading_from.get()
    if outer is not None:
        yield outer
        return
    alias = DEFAULT_DB_ALIAS
    if configured():
        try:
            connections[REPLICA].ensure_connection()
            alias = REPLICA
        except OperationalError as error:
            log.warning(
                "read replica unreachable (%s): reading the report from the primary",
                type(error).__name__,
            )
    token = _reading_from.set(alias)
    try:
        yield alias
    finally:
        _reading_from.reset(token)


def reads_from_replica[**P, R](function: Callable[P, R]) -> Callable[P, R]:
    """The function's reads run in `replica_reads()`."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads():
            return function(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Inside `replica_reads()`: reads of the main database's models go to the replica. It
    never routes a write there, never allows a migration there, and answers nothing else."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        alias = _reading_from.get()
        if alias is None or model._meta.app_label in _ELSEWHERE:
            return None
        return alias

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None
