"""`lookout keys init | status | rotate [--now] | retire`: manage the master keyset."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lookout.vault import rotation
from lookout.vault.master import KeySourceError, ensure_master_keys, key_source


class Command(BaseCommand):
    help = "Manage the master keyset that wraps every person's data key."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("init", help="Create the master key file if none exists.")
        sub.add_parser("status", help="Show master keys and how many data keys each wraps.")
        rotate = sub.add_parser("rotate", help="Add a new primary master key and re-wrap.")
        rotate.add_argument(
            "--now",
            action="store_true",
            help="Re-wrap in this process with progress, instead of in the background worker.",
        )
        sub.add_parser("retire", help="Drop old master keys that no data key needs any more.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"do_{options['action']}")(**options)
        except KeySourceError as exc:
            raise CommandError(str(exc)) from exc

    def do_init(self, **options: Any) -> None:
        created = ensure_master_keys()
        where = getattr(key_source(), "path", "the key source")
        self.stdout.write(
            f"Created a new master keyset at {where}." if created else f"Master keyset at {where}."
        )

    def do_status(self, **options: Any) -> None:
        current = rotation.status()
        self.stdout.write(f"Primary master key: {current.primary_key_id}")
        for key_id in current.master_key_ids:
            n = current.data_keys_by_master_key.get(key_id, 0)
            mark = " (primary)" if key_id == current.primary_key_id else ""
            self.stdout.write(f"  master key {key_id}{mark}: wraps {n} data keys")
        self.stdout.write(f"Data keys waiting to be re-wrapped: {current.pending}")

    def do_rotate(self, *, now: bool = False, **options: Any) -> None:
        from lookout.audit.services import record

        new_id = rotation.rotate_master_key()
        record(actor=None, action="keys.rotated", detail={"primary": new_id})
        self.stdout.write(f"New primary master key {new_id}. Reads keep working meanwhile.")
        if now:
            count = rotation.rewrap_all(progress=self._progress)
            self.stdout.write(f"Re-wrapped {count} data keys.")
        else:
            from lookout.vault.tasks import rewrap_data_keys

            rewrap_data_keys.enqueue()
            self.stdout.write("Re-wrapping queued for the background worker.")

    def do_retire(self, **options: Any) -> None:
        retired = rotation.retire_old_master_keys()
        self.stdout.write(
            f"Retired master keys: {', '.join(map(str, retired))}"
            if retired
            else "Nothing to retire."
        )

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"  re-wrapped {done}/{total}")
