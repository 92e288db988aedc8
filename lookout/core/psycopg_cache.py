"""psycopg keeps its parse of a statement (where the `%s` placeholders are) in a cache, but only
for statements of at most 50 parameters. The audit log writes a unit of work's entries in one
INSERT of 16 columns per entry (`audit.batch`), so checkout's four entries (64 parameters) were
parsed again on every order: about 1.3 million instructions, near 6 % of a checkout's Python
work, measured with callgrind (decision 0023).

`allow_longer_statements()` raises that limit. The cache itself stays bounded (psycopg's LRU of
128 statements), and what it holds is the statement text, never a parameter value. The limit is
a module constant of psycopg's, not a documented setting: if a release renames it, this does
nothing and the test beside it fails, so the change is noticed.
"""

from __future__ import annotations

CACHED_PARAMETERS = 500


def allow_longer_statements() -> None:
    try:
        from psycopg import _queries
    except ImportError:  # psycopg is not installed: SQLite only
        return
    if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", CACHED_PARAMETERS) < CACHED_PARAMETERS:
        _queries.MAX_CACHED_STATEMENT_PARAMS = CACHED_PARAMETERS
