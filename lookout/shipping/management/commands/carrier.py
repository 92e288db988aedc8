"""`lookout carrier simulate ORDER_NUMBER --to delivered`: the sandbox carrier moves a parcel.

Sandbox only (refused in production). The update is signed with the carrier's webhook secret and
handed to the same function the webhook view runs (`shipping.webhooks.handle_webhook`), so the
store verifies and applies it exactly as a real carrier's update; with `--url` it is POSTed over
HTTP to a running store instead. See `lookout.shipping.simulate`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lookout.core.errors import LookoutError
from lookout.shipping.simulate import STATES, simulate


class Command(BaseCommand):
    help = "Sandbox carrier tools (never in production)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        move = actions.add_parser(
            "simulate",
            help="Send the signed tracking update the carrier would send for a shipped order.",
        )
        move.add_argument("order_number", help="e.g. LK-ABCD2345")
        move.add_argument("--to", choices=STATES, default="delivered", help="[delivered]")
        move.add_argument(
            "--url",
            default=None,
            help="POST to the running store at this base URL (e.g. http://127.0.0.1:8000) "
            "instead of applying the update in this process",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            sent = simulate(
                order_number=options["order_number"], to=options["to"], url=options["url"]
            )
        except LookoutError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Order {options['order_number'].strip().upper()}: the carrier reported "
                f"{sent.status} (event {sent.event_id})."
            )
        )
