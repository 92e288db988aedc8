"""`lookout commitments_doc`: print docs/commitments.md.

Regenerate the page with `lookout commitments_doc > docs/commitments.md` after adding or changing
a test's `@pytest.mark.commitment(...)` marker, `commitments.json` or `enforcing.json`; a test
fails while the committed page is out of date.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lookout.compliance.commitments_doc import MarkerError, render


class Command(BaseCommand):
    # It reads source files only: it must work even while the code it describes is broken.
    requires_system_checks: list[str] = []
    help = (
        "Print docs/commitments.md: every commitment, the code that enforces it and the tests "
        "that prove it (from their markers, read from the test files)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            page = render()
        except MarkerError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(page, ending="")
