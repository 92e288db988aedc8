"""Recording an incident, drafting its notices and sending them (GDPR Art. 33 and 34, C4.8).

`record_incident` stores what the privacy officer knows and computes the blast radius
(`lookout.incidents.radius`). `authority_notice` drafts the notice to the supervisory authority
with the facts Art. 33(3) asks for; `person_notice` the words each affected person receives;
`notify_people` posts them to each person's inbox, once (`dedupe_key`). Every step is written
to the audit log under the officer's pseudonymous id.
"""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lookout.access.roles import Role
from lookout.audit.services import record
from lookout.core.errors import LookoutError
from lookout.core.inventory import declaration
from lookout.inbox.services import send_message
from lookout.incidents.models import NOTIFY_WITHIN, Exposure, Incident, Kind
from lookout.incidents.radius import compute
from lookout.sharing.models import Partner
from lookout.vault.crypto import KeyDestroyed

if TYPE_CHECKING:
    from lookout.accounts.models import User


class IncidentError(LookoutError):
    """What the officer asked for cannot be recorded as given."""


def record_incident(
    *,
    officer: User,
    kind: str,
    started_at: datetime,
    ended_at: datetime,
    aware_at: datetime | None = None,
    measures: str,
    staff_subject: uuid.UUID | None = None,
    role: str = "",
    partner: Partner | None = None,
    key_version: int | None = None,
    keystore_included: bool = False,
    master_key_included: bool = False,
    host_compromised: bool = False,
) -> Incident:
    """Record an incident and compute its blast radius. Raises `IncidentError` when the window
    or the compromised thing does not fit the kind."""
    if kind not in Kind.values:
        raise IncidentError(f"Unknown kind of incident {kind!r}.")
    if ended_at <= started_at:
        raise IncidentError("The window must end after it starts.")
    wanted = {
        Kind.STAFF_ACCOUNT: staff_subject is not None,
        Kind.ROLE: role in Role.values,
        Kind.PARTNER: partner is not None,
        Kind.KEY_VERSION: key_version is not None,
        Kind.BACKUP: True,
    }
    if not wanted[Kind(kind)]:
        raise IncidentError(f"Say which {Kind(kind).label.lower()} was compromised.")
    measures = measures.strip()
    if not measures:
        raise IncidentError("Describe the measures taken or proposed; the notices quote them.")
    aware = aware_at or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.create(
            kind=kind,
            started_at=started_at,
            ended_at=ended_at,
            aware_at=aware,
            due_at=aware + NOTIFY_WITHIN,
            staff_subject=staff_subject if kind == Kind.STAFF_ACCOUNT else None,
            role=role if kind == Kind.ROLE else "",
            partner=partner if kind == Kind.PARTNER else None,
            key_version=key_version if kind == Kind.KEY_VERSION else None,
            keystore_included=kind == Kind.BACKUP and keystore_included,
            master_key_included=kind == Kind.BACKUP and master_key_included,
            host_compromised=kind == Kind.BACKUP and host_compromised,
            measures=measures,
            recorded_by=officer.subject,
        )
        compute(incident)
        record(
            actor=officer,
            action="incident.recorded",
            target=incident,
            purpose="legal",
            detail={"kind": kind, "people": incident.people},
        )
    return incident


def recompute(*, incident: Incident, officer: User) -> Incident:
    with transaction.atomic():
        compute(incident)
        record(
            actor=officer,
            action="incident.computed",
            target=incident,
            purpose="legal",
            detail={"people": incident.people},
        )
    return incident


def mark_authority_notified(*, incident: Incident, officer: User) -> Incident:
    """The officer sent the notice to the supervisory authority: the deadline is met (or, if
    late, the notice says why: Art. 33(1))."""
    if incident.authority_notified_at is not None:
        raise IncidentError("The authority was already notified of this incident.")
    with transaction.atomic():
        incident.authority_notified_at = timezone.now()
        incident.save(update_fields=["authority_notified_at"])
        record(
            actor=officer,
            action="incident.authority_notified",
            target=incident,
            purpose="legal",
            detail={"late": incident.authority_notified_at > incident.due_at},
        )
    return incident


# --- what the notices say ------------------------------------------------------------------

# Plain words for the data categories (fideslang, as declared in each app's personal_data.py),
# by the longest prefix that matches, and what their exposure may lead to.
_WORDS: tuple[tuple[str, str, str], ...] = (
    ("user.contact.email", "email address", "unwanted or deceptive email (phishing)"),
    ("user.contact.phone_number", "phone number", "unwanted or deceptive calls and texts"),
    ("user.contact.address", "postal address", "unwanted mail; knowing where cameras are sold to"),
    ("user.contact", "contact details", "unwanted or deceptive contact"),
    ("user.name", "name", "being identified in other data"),
    ("user.authorization", "sign-in secrets", "someone signing in as you"),
    ("user.financial", "payment details", "fraudulent payments"),
    ("user.content", "messages", "private correspondence being read"),
    ("user.unique_id", "account identifiers", "your other records being linked together"),
)


@functools.cache
def words_for(field_key: str) -> tuple[str, str]:
    """(plain name, likely consequence) of a field named "app.Model.field"."""
    category = _category(field_key)
    for prefix, name, consequence in _WORDS:
        if category.startswith(prefix):
            return name, consequence
    return category.rsplit(".", 1)[-1].replace("_", " "), "misuse of this information"


def _category(field_key: str) -> str:
    label, _, name = field_key.rpartition(".")
    try:
        return declaration(apps.get_model(label), name).category
    except (LookupError, ValueError):
        return "user"


def _when(moment: datetime) -> str:
    """A moment as a person reads it ("7 December 2026, 14:05"), in UTC as the notice says."""
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y, %H:%M}"


def _what(incident: Incident) -> str:
    window = f"between {_when(incident.started_at)} and {_when(incident.ended_at)} UTC"
    if incident.kind == Kind.STAFF_ACCOUNT:
        return f"A staff account of ours was used by someone else {window}."
    if incident.kind == Kind.ROLE:
        role = Role(incident.role).label.lower() if incident.role in Role.values else incident.role
        return f"The accounts of our {role} staff were used by someone else {window}."
    if incident.kind == Kind.PARTNER:
        name = incident.partner.name if incident.partner else "a partner"
        return f"{name}, a company we send data to, was breached {window}."
    if incident.kind == Kind.KEY_VERSION:
        return f"One of our master encryption keys was exposed {window}."
    parts = ["A copy of our database was exposed"]
    if incident.keystore_included and incident.master_key_included:
        parts.append(" together with the keys that open it")
    if incident.host_compromised:
        parts.append(", and a server running the store was compromised,")
    return "".join(parts) + f" {window}."


@dataclass(frozen=True)
class Summary:
    """The Art. 33(3) facts of an incident, counted from its exposure rows."""

    people: int
    records: int
    exposed: list[tuple[str, int]]  # (plain name of the data, how many people)
    masked: list[tuple[str, int]]
    withheld: list[tuple[str, int]]
    metadata_people: int
    consequences: list[str]


def summary(incident: Incident) -> Summary:
    exposed: Counter[str] = Counter()
    masked: Counter[str] = Counter()
    withheld: Counter[str] = Counter()
    metadata_people = 0
    rows = Exposure.objects.filter(incident=incident).values_list(
        "exposed", "masked", "withheld", "metadata"
    )
    for e, m, w, meta in rows.iterator(2000):
        exposed.update({words_for(f)[0] for f in e})
        masked.update({words_for(f)[0] for f in m} - {words_for(f)[0] for f in e})
        withheld.update({words_for(f)[0] for f in w})
        metadata_people += bool(meta)
    consequences = sorted(
        {words_for(f)[1] for f, _ in _field_counts(incident) if words_for(f)[0] in exposed}
    )
    return Summary(
        people=incident.people,
        records=incident.records,
        exposed=sorted(exposed.items()),
        masked=sorted(masked.items()),
        withheld=sorted(withheld.items()),
        metadata_people=metadata_people,
        consequences=consequences,
    )


def _field_counts(incident: Incident) -> list[tuple[str, int]]:
    fields: Counter[str] = Counter()
    for names in Exposure.objects.filter(incident=incident).values_list("exposed", flat=True):
        fields.update(names)
    return sorted(fields.items())


def _contact() -> str:
    contact = settings.LOOKOUT_OPERATOR_CONTACT or "(contact not set: LOOKOUT_OPERATOR_CONTACT)"
    return f"{settings.LOOKOUT_OPERATOR_NAME}, {settings.LOOKOUT_OPERATOR_ADDRESS}; {contact}"


def _counted(pairs: list[tuple[str, int]]) -> str:
    return "; ".join(f"{name} ({n} people)" for name, n in pairs) or "none"


def authority_notice(incident: Incident) -> str:
    """The draft notice to the supervisory authority, with the facts of GDPR Art. 33(3)."""
    s = summary(incident)
    late = ""
    if incident.is_overdue():
        late = (
            "\nReasons for the delay (Art. 33(1)): [state why this notice comes after 72 hours]\n"
        )
    return "\n".join(
        [
            f"Personal data breach notification — {settings.LOOKOUT_OPERATOR_NAME}",
            "",
            f"Aware since: {_when(incident.aware_at)} UTC; "
            f"notice due by {_when(incident.due_at)} UTC.",
            late,
            f"(a) Nature of the breach: {_what(incident)} "
            f"Compromised: {incident.get_kind_display().lower()}.",
            f"Categories of people: customers and guest buyers of the store. Approximate number "
            f"of people concerned: {s.people}. Approximate number of records concerned: "
            f"{s.records}.",
            f"Data exposed in full: {_counted(s.exposed)}.",
            f"Data exposed only masked: {_counted(s.masked)}.",
            f"Data held encrypted and not exposed: {_counted(s.withheld)}.",
            f"Pseudonymous metadata and keyed hashes exposed for {s.metadata_people} people.",
            f"(b) Contact point (data protection officer): {_contact()}.",
            "(c) Likely consequences: "
            + ("; ".join(s.consequences) if s.consequences else "none identified")
            + ".",
            f"(d) Measures taken or proposed: {incident.measures}",
            "",
            "How the figures were computed: from the store's audit log of every read of "
            "personal data, its ledger of disclosures to partners and its key store "
            "(docs/breach.md).",
        ]
    ).replace("\n\n\n", "\n\n")


def person_notice(incident: Incident, exposure: Exposure) -> tuple[str, str]:
    """The title and body of the inbox notice to one affected person (GDPR Art. 34(2))."""
    exposed = sorted({words_for(f)[0] for f in exposure.exposed})
    masked = sorted({words_for(f)[0] for f in exposure.masked} - set(exposed))
    withheld = sorted({words_for(f)[0] for f in exposure.withheld} - set(exposed) - set(masked))
    consequences = sorted({words_for(f)[1] for f in exposure.exposed})
    lines = [_what(incident), ""]
    if exposed:
        lines.append("Of your data, these may have been seen: " + ", ".join(exposed) + ".")
    if masked:
        lines.append(
            "Seen only partly hidden (for example j•••@e•••.com): " + ", ".join(masked) + "."
        )
    if exposure.metadata:
        lines.append(
            "Our internal records about you (dates, and codes that cannot be turned back into "
            "your details) were also exposed."
        )
    if withheld:
        lines.append("Stayed encrypted and could not be read: " + ", ".join(withheld) + ".")
    if consequences:
        lines += ["", "What this could lead to: " + "; ".join(consequences) + "."]
    lines += [
        "",
        f"What we have done: {incident.measures}",
        "",
        "Be wary of messages that claim to come from us and ask for your password or payment "
        "details: we never ask for them.",
        f"Questions: {_contact()}.",
    ]
    return "About a security incident that concerns your data", "\n".join(lines)


def notify_people(*, incident: Incident, officer: User) -> tuple[int, int]:
    """Post each affected person's notice to their inbox (once each). Returns (sent, not
    reachable): a person whose data key was destroyed (erased) can receive nothing, and their
    data was unreadable anyway."""
    sent = unreachable = 0
    waiting = Exposure.objects.filter(incident=incident, notified_at__isnull=True)
    for exposure in waiting.iterator(500):
        title, body = person_notice(incident, exposure)
        try:
            with transaction.atomic():
                send_message(
                    subject=exposure.subject,
                    kind="account",
                    title=title,
                    body=body,
                    dedupe_key=f"incident:{incident.id}:{exposure.subject}",
                )
                exposure.notified_at = timezone.now()
                exposure.save(update_fields=["notified_at"])
        except KeyDestroyed:
            unreachable += 1
            continue
        sent += 1
    with transaction.atomic():
        incident.people_notified_at = timezone.now()
        incident.save(update_fields=["people_notified_at"])
        record(
            actor=officer,
            action="incident.people_notified",
            target=incident,
            purpose="legal",
            detail={"sent": sent, "unreachable": unreachable},
        )
    return sent, unreachable
