"""The access file is assembled from *sections*, one per kind of data (C6.2).

Each app that holds personal data contributes a function that takes a `SectionContext` (whose
data, read for which purpose, by whom) and returns JSON-ready data (lists and dicts of strings,
numbers, booleans and None). Sections register with `@section("name", "Title", order=...)`.
The built-in sections live in this package (one module per app whose data they read); an app
can also ship its own in a `subject_data.py` module, which `load_sections()` imports, so a new
app plugs in without touching the privacy app.

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
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from django.utils.module_loading import autodiscover_modules

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
    """Import the built-in sections and every app's `subject_data` module (once)."""
    from lookout.privacy.sections import builtin  # noqa: F401

    autodiscover_modules("subject_data")


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

    try:
        for s in sections():
            built.append((s, None))
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
    return built
