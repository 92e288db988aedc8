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
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import autodiscover_modules

from lookout.core.purposes import Purpose

if TYPE_CHECKING:
    from lookout.accounts.models import User

Json = Any


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


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    description: str
    order: int
    build: Callable[[SectionContext], Json]


_SECTIONS: dict[str, Section] = {}


def section(
    name: str, title: str, *, description: str = "", order: int = 100
) -> Callable[[Callable[[SectionContext], Json]], Callable[[SectionContext], Json]]:
    def register(build: Callable[[SectionContext], Json]) -> Callable[[SectionContext], Json]:
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
