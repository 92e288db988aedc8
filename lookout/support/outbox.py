"""The development outbox: in `make run`, mail is kept in files under var/outbox/ and shown on
a page (/help/outbox/), so a developer sees what a customer would get without a mail server.

Never in production: the page answers 404 unless the profile is `development` with DEBUG on,
and production's mailer is SMTP (settings). The files hold whole messages, addresses included:
they are development data, like the development database.
"""

from __future__ import annotations

import time
import uuid
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

KEEP = 50  # the newest messages shown; older files are removed as new ones arrive


def outbox_dir() -> Path:
    return Path(getattr(settings, "VAR_DIR", "var")) / "outbox"


class OutboxBackend(BaseEmailBackend):
    """Writes each message as an .eml file in the outbox folder."""

    def send_messages(self, email_messages: Any) -> int:
        folder = outbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.eml"
            (folder / name).write_bytes(message.message().as_bytes())
            sent += 1
        for old in sorted(folder.glob("*.eml"))[:-KEEP]:
            old.unlink(missing_ok=True)
        return sent


def enabled() -> bool:
    return getattr(settings, "ENV", "") == "development" and bool(settings.DEBUG)


def messages() -> list[dict[str, str]]:
    """The newest first: sender, recipients, subject and plain text of each."""
    folder = outbox_dir()
    if not folder.is_dir():
        return []
    rows = []
    for path in sorted(folder.glob("*.eml"), reverse=True)[:KEEP]:
        parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
        part = parsed.get_body(preferencelist=("plain",))
        rows.append(
            {
                "name": path.name,
                "to": str(parsed.get("To", "")),
                "subject": str(parsed.get("Subject", "")),
                "date": str(parsed.get("Date", "")),
                "text": str(part.get_content()) if part is not None else "",  # type: ignore[attr-defined]
            }
        )
    return rows
