"""`lookout demo`: load demo data, then say how to sign in as each demo staff role.

Each app owns its demo data (`<app>.demo.load(progress=...)`); this command only runs them in
dependency order. Every loader is idempotent, so `make run` can call this on every start.
A missing loader is skipped with a note rather than failing, so the store starts while an app is
still being built.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand

# Order matters: the catalog before accounts (staff may be tied to products), later apps after.
DEMO_MODULES = (
    "lookout.catalog.demo",
    "lookout.vouchers.demo",
    "lookout.accounts.demo",
    "lookout.policies.demo",
    "lookout.orders.demo",
    "lookout.returns.demo",
    "lookout.reviews.demo",
)


def _import_optional(name: str) -> Any | None:
    """The module, or None when it does not exist yet (its own import errors still raise)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is not None and name.startswith(error.name):
            return None
        raise


class Command(BaseCommand):
    help = "Load the demo catalog and demo people (idempotent) and print how to sign in."

    def handle(self, *args: Any, **options: Any) -> None:
        progress = self._progress
        for name in DEMO_MODULES:
            module = _import_optional(name)
            loader: Callable[..., object] | None = getattr(module, "load", None)
            if loader is None:
                self.stdout.write(f"- {name}: not available yet, skipped.")
                continue
            self.stdout.write(f"Loading {name} ...")
            loader(progress=progress)
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))

        accounts_demo = _import_optional("lookout.accounts.demo")
        instructions = getattr(accounts_demo, "sign_in_instructions", None)
        if instructions is not None:
            self.stdout.write("")
            self.stdout.write(instructions())
        else:
            self.stdout.write("No demo staff accounts yet: sign-in instructions will appear here.")

    def _progress(self, message: str) -> None:
        """Loaders call this with one short line per step; it must never carry personal data
        beyond the demo's example.com addresses."""
        self.stdout.write(f"  {message}")
        self.stdout.flush()
