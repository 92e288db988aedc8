"""The access file is assembled from *sections*, one per kind of data (C6.2).

Each app that holds personal data contributes a function that takes a `SectionContext` (whose
data, read for which purpose, by whom) and returns JSON-ready data (lists and dicts of strings,
numbers, booleans and None). Sections register with `@section("name", "Title", order=...)`.
The sections live in this package (one module per app whose data they read): the privacy app
reads every app, and no app may import it (the layers contract in .importlinter), so a new app's
section is added here.

Every personal value a section returns is read through `lookout.access.reveal` (or
`reveal_many` / `reveal_values` for a list of records) with `purpose=Purpose.SUBJECT_REQUEST`,
so each read is checked against the matrix and audited.

A section may instead be a generator that *yields* its sealed records (`ctx.read_many` or
`ctx.read_rows`) and is sent their values back:
`values = yield ctx.read_rows(...)`.
`build_sections` runs every section up to its yield, then passes all their records through the
gate in one call (`lookout.access.gate.reveal_reads`): the matrix is checked for all of them
before anything is opened, and the file's audit entries (still one per person per read) share
one transaction, one lane lock and one commit instead of one each.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from django.db import connection, connections
from django.utils import translation

from lookout.core.purposes import Purpose

if TYPE_CHECKING:
    from lookout.access.gate import BulkRead
    from lookout.accounts.models import User

Json = Any
Values = list[dict[str, str | None]]
# A section that reads sealed records: it yields them and is sent their values back.
Reading = Generator["BulkRead", Values, Json]


@dataclass(frozen=True)
class SectionContext:
    subject: uuid.UUID
    actor: User | None = None  # None: the store itself (the background task)
    purpose: Purpose = Purpose.SUBJECT_REQUEST

    def reveal(self, obj: Any, fields: list[str]) -> dict[str, str | None]:
        from lookout.access import reveal

        return reveal(obj, fields, purpose=self.purpose, actor=self.actor)

    def reveal_many(self, objs: Any, fields: list[str]) -> list[dict[str, str | None]]:
        """Many records through the gate at once: one audit entry naming them all, the data
        key unwrapped once (a customer with a thousand orders must not cost seconds)."""
        from lookout.access import reveal_many

        return reveal_many(list(objs), fields, purpose=self.purpose, actor=self.actor)

    def reveal_values(
        self, model: Any, rows: Any, fields: list[str]
    ) -> list[dict[str, str | None]]:
        """`reveal_many` for rows read with `.values()` (pk, subject and the sealed `fields`):
        the same gate and audit entry, without building a model instance per record."""
        from lookout.access import reveal_values

        return reveal_values(model, list(rows), fields, purpose=self.purpose, actor=self.actor)

    def read_many(self, objs: Any, fields: list[str]) -> BulkRead:
        """Records to yield from a section: their values come back after the file's one gate
        call (see `build_sections`)."""
        from lookout.access.gate import bulk_read

        return bulk_read(list(objs), fields)

    def read_rows(self, model: Any, rows: Any, fields: list[str]) -> BulkRead:
        """`read_many` for tuples read with `.values_list(pk, subject, *fields, ...)`."""
        from lookout.access.gate import bulk_read_rows

        return bulk_read_rows(model, rows, fields)


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    description: str
    order: int
    build: Callable[[SectionContext], Json | Reading]


_SECTIONS: dict[str, Section] = {}


def section(
    name: str, title: str, *, description: str = "", order: int = 100
) -> Callable[[Callable[[SectionContext], Any]], Callable[[SectionContext], Any]]:
    def register(build: Callable[[SectionContext], Any]) -> Callable[[SectionContext], Any]:
        _SECTIONS[name] = Section(
            name=name, title=title, description=description, order=order, build=build
        )
        return build

    return register


@cache
def load_sections() -> None:
    """Import the sections (once)."""
    from lookout.privacy.sections import builtin  # noqa: F401


def sections() -> list[Section]:
    load_sections()
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.name))


def build_sections(ctx: SectionContext) -> list[tuple[Section, Json]]:
    """Every section's data, in order, with the sealed records of all sections revealed in one
    gate call per round (sections yield once; one that yields again waits for the next round).

    Why: each gate call wrote its own audit entry in its own transaction, so a file paid a
    lane lock and a commit per section that reads sealed data. Checking everything before
    opening anything also means a refusal anywhere opens nothing of the file.
    """
    from lookout.access.gate import BulkRead, reveal_reads

    built: list[tuple[Section, Json]] = []
    waiting: dict[int, tuple[Reading, BulkRead]] = {}  # place in `built` -> section, its read

    def step(place: int, reading: Reading, values: Values | None) -> None:
        try:
            read = next(reading) if values is None else reading.send(values)
        except StopIteration as done:
            built[place] = (built[place][0], done.value)
            return
        if not isinstance(read, BulkRead):
            # The type only: what was yielded may hold personal data, and errors are logged.
            raise TypeError(
                f"Section {built[place][0].name!r} yielded a {type(read).__name__}, not a read."
            )
        waiting[place] = (reading, read)

    ordered = sections()
    # Sections that read no sealed data run on a helper thread with its own connection while
    # this one reads and opens the sealed records: each thread's waits for the database are
    # the other's time to run (see `_plain_sections_aside`).
    aside = _plain_sections_aside(ctx, ordered)
    try:
        for s in ordered:
            built.append((s, None))
            if aside is not None and not inspect.isgeneratorfunction(s.build):
                continue  # built on the helper thread
            data = s.build(ctx)
            if inspect.isgenerator(data):
                step(len(built) - 1, cast("Reading", data), None)
            else:
                built[-1] = (s, data)
        while waiting:
            now = list(waiting.items())
            revealed = reveal_reads(
                [read for _, (_, read) in now], purpose=ctx.purpose, actor=ctx.actor
            )
            waiting.clear()  # after the gate: a refusal leaves them to be closed below
            for (place, (reading, _)), values in zip(now, revealed, strict=True):
                step(place, reading, values)
    finally:
        for reading, _ in waiting.values():  # a refusal or an error: close what still waits
            reading.close()
        if aside is not None:
            wait([aside])  # never left running; an error here stays the error raised
    done = aside.result() if aside is not None else {}  # the helper's error, if any, is raised
    return [(s, done[s.name]) if s.name in done else (s, data) for s, data in built]


_helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lookout-access-file")


def _plain_sections_aside(
    ctx: SectionContext, ordered: list[Section]
) -> Future[dict[str, Json]] | None:
    """Start the sections that read no sealed data (plain functions, not generators) on the
    helper thread, or return None to build them here, in order, as before.

    Why: a file spends about a third of its time waiting for the database server (which runs
    on another core), and the sections are independent of each other. The helper thread reads
    through its own connection from the pool, returned when it is done. Only on PostgreSQL:
    SQLite works inside this process, so there the helper only added contention for the
    interpreter (measured: more CPU, no faster file; decision 0025). Inside a transaction the
    helper could not see what this connection has not committed (a test's data, say), so the
    file is then built on this thread alone. The helper builds in the caller's language, since
    a section may translate labels as it builds them.
    """
    plain = [s for s in ordered if not inspect.isgeneratorfunction(s.build)]
    if not plain or connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    language = translation.get_language()

    def build() -> dict[str, Json]:
        try:
            with translation.override(language):
                return {s.name: s.build(ctx) for s in plain}
        finally:
            connections.close_all()  # this thread's connections only: back to the pool

    return _helper.submit(build)
