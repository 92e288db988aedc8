"""The access file (C6.2): everything the store holds about one person, as one JSON document.

Built by a background task (`build_access_file_task`) from the registered sections, read by the
store itself (actor None, purpose SUBJECT_REQUEST: every read checked and audited), stored
sealed under the person's own data key on the request row, and handed out only through a
signed, expiring link that works for that person alone. The schema is documented in
docs/access-file-schema.md; `SCHEMA_VERSION` changes when a field's meaning changes.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from lookout.access import reveal
from lookout.audit.services import record
from lookout.core.collector import collector_paused
from lookout.core.errors import NotFound
from lookout.core.purposes import Purpose
from lookout.privacy.models import Kind, Reason, Status, SubjectRequest
from lookout.privacy.sections import SectionContext, build_sections
from lookout.vault.crypto import key_ring

if TYPE_CHECKING:
    from lookout.accounts.models import User

SCHEMA = "https://lookout.example.com/schemas/access-file"
SCHEMA_VERSION = 1
LINK_SALT = "lookout.privacy.access-file-link"
DEFAULT_LINK_HOURS = 48
LINK_GONE = "This download link is not valid or has expired. Open your request to get a new one."


def link_hours() -> int:
    return int(getattr(settings, "LOOKOUT_ACCESS_LINK_HOURS", DEFAULT_LINK_HOURS))


def build_document(*, subject: uuid.UUID, actor: User | None = None) -> dict[str, Any]:
    """The access file's content, section by section (see docs/access-file-schema.md)."""
    ctx = SectionContext(subject=subject, actor=actor, purpose=Purpose.SUBJECT_REQUEST)
    # One unit of work: the person's data key is fetched and unwrapped once for every section
    # (not once per section), and dropped when the file is built. The document is a tree of
    # new objects: the cyclic collector would walk the whole process for nothing meanwhile.
    with key_ring(), collector_paused():
        return _document(ctx, subject)


def _document(ctx: SectionContext, subject: uuid.UUID) -> dict[str, Any]:
    generated_at = timezone.now().isoformat()
    # The sections' sealed records go through the gate together: one check of everything, then
    # their audit entries in one commit (see `build_sections`).
    built = build_sections(ctx)
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "generated_at": generated_at,
        "subject": str(subject),
        "sections": [
            {
                "name": s.name,
                "title": s.title,
                "description": s.description,
                "data": data,
            }
            for s, data in built
        ],
    }


def build_access_file(*, request_id: uuid.UUID) -> SubjectRequest:
    """Build, seal and store the file of an access request, then mark it completed."""
    request = SubjectRequest.objects.get(pk=request_id, kind=Kind.ACCESS)
    if request.status not in (Status.IN_PROGRESS, Status.RECEIVED):
        return request
    # Read outside the row lock: a large history must not keep the database locked.
    document = build_document(subject=request.subject)
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    with transaction.atomic():
        request = SubjectRequest.objects.select_for_update().get(pk=request_id)
        if request.status not in (Status.IN_PROGRESS, Status.RECEIVED):
            return request  # built twice at once: the first one stands
        now = timezone.now()
        request.access_file = text
        request.file_ready_at = now
        request.status = Status.COMPLETED
        request.decided_at = now
        request.decision_reason = Reason.DONE
        request.decided_by_role = "system"
        request.save(
            update_fields=[
                "access_file",
                "file_ready_at",
                "status",
                "decided_at",
                "decision_reason",
                "decided_by_role",
            ]
        )
        record(
            actor=None,
            action="privacy.access_file_built",
            subject=request.subject,
            target=request,
            purpose=str(Purpose.SUBJECT_REQUEST),
            detail={"sections": len(document["sections"]), "bytes": len(text.encode())},
        )
    return request


@task()
def build_access_file_task(request_id: str) -> str:
    """Background entry point: arguments are ids only (the task table holds no personal data)."""
    return str(build_access_file(request_id=uuid.UUID(request_id)).status)


# --- the signed link ---------------------------------------------------------------------


def download_token(*, request: SubjectRequest) -> str:
    return signing.TimestampSigner(salt=LINK_SALT).sign(str(request.id))


def download_path(*, request: SubjectRequest) -> str:
    return reverse("privacy:download", args=[download_token(request=request)])


def request_for_token(*, token: str, subject: uuid.UUID | None) -> SubjectRequest:
    """The access request a valid, unexpired link names, if `subject` is its person.

    A bad signature, an expired link, someone else's link, and a request without a file all
    get the same answer.
    """
    try:
        value = signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=link_hours() * 3600)
        request_id = uuid.UUID(value)
    except (signing.BadSignature, ValueError) as exc:
        raise NotFound(LINK_GONE) from exc
    request = SubjectRequest.objects.filter(pk=request_id, kind=Kind.ACCESS).first()
    if (
        request is None
        or subject is None
        or request.subject != subject
        or request.access_file is None
    ):
        raise NotFound(LINK_GONE)
    return request


def open_access_file(*, request: SubjectRequest, actor: User | None) -> dict[str, Any]:
    """The file's content for its person: `actor` is the signed-in person, or None when the
    store serves a verified guest. Audited like every read of personal data."""
    text = reveal(request, ["access_file"], purpose=Purpose.SUBJECT_REQUEST, actor=actor)[
        "access_file"
    ]
    if text is None:
        raise NotFound(LINK_GONE)
    document: dict[str, Any] = json.loads(text)
    return document
