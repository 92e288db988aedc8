"""`lookout policy`: publish policy versions and follow their notices (C8.3, C8.4).

lookout policy publish privacy --file privacy-v2.md [--material] [--effective 2027-01-31]
                               [--summary "What changes"]
lookout policy list [privacy]
lookout policy notify privacy 2      # (re)send the notices of a material version; idempotent
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lookout.policies import selectors, services
from lookout.policies.models import Document
from lookout.policies.notices import send_all


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date: write it as YYYY-MM-DD.") from exc


def _document(value: str) -> str:
    if not selectors.is_document(value):
        raise CommandError(f"Unknown policy {value!r}: choose one of {', '.join(Document.values)}.")
    return value


class Command(BaseCommand):
    help = "Publish policy versions (privacy, shipping, refund) and send material-change notices."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        publish = actions.add_parser("publish", help="Publish the next version of a policy.")
        publish.add_argument("document", choices=Document.values)
        publish.add_argument("--file", required=True, type=Path, help="Markdown file")
        publish.add_argument("--material", action="store_true", help="a material change")
        publish.add_argument("--effective", help="effective date YYYY-MM-DD (default: now)")
        publish.add_argument("--summary", default="", help="summary of changes")
        listing = actions.add_parser("list", help="List the versions of the policies.")
        listing.add_argument("document", nargs="?", choices=Document.values)
        notify = actions.add_parser(
            "notify", help="Send (or finish sending) the notices of a material version."
        )
        notify.add_argument("document", choices=Document.values)
        notify.add_argument("number", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _publish(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {path}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text.") from exc
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        effective = _date(options["effective"]) if options.get("effective") else None
        try:
            v = services.publish_version(
                document=_document(options["document"]),
                text=text,
                summary=options["summary"],
                material=options["material"],
                effective_on=effective,
            )
        except services.PolicyRefused as refused:
            raise CommandError(refused.message) from refused
        self.stdout.write(
            self.style.SUCCESS(
                f"Posted {v}; it takes effect on {v.effective_at:%Y-%m-%d %H:%M} UTC."
            )
        )
        if v.material:
            self.stdout.write("Notices to every registered customer are queued.")

    def _list(self, options: dict[str, Any]) -> None:
        documents = [options["document"]] if options.get("document") else Document.values
        current = selectors.current_versions()
        for document in documents:
            for v in selectors.versions_of(document=document):
                flags = [
                    "in force" if current.get(document) == v else "",
                    "material" if v.material else "",
                    "notices done" if v.notices_completed_at else "",
                ]
                self.stdout.write(
                    f"{document:9} v{v.number:<3} posted {v.posted_at:%Y-%m-%d} "
                    f"effective {v.effective_at:%Y-%m-%d}  {', '.join(f for f in flags if f)}"
                )

    def _notify(self, options: dict[str, Any]) -> None:
        v = selectors.version(document=_document(options["document"]), number=options["number"])
        if v is None:
            raise CommandError(f"{options['document']} has no version {options['number']}.")
        if not v.material:
            raise CommandError(f"{v} is not a material change: it sends no notices.")
        sent = send_all(version_id=v.id)
        self.stdout.write(self.style.SUCCESS(f"{sent} new notice(s) sent for {v}."))
