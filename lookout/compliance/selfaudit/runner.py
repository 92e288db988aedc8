"""`run_self_audit`: every live check against the deployment's own databases, stored and, when
something fails, sent to the privacy officers' inboxes.

The tests prove the code keeps its promises; this checks that the running store does: data at
rest, the audit chain, the keys, partners, deadlines, settings and cookies. It is run by hand
(`lookout audit run`), by the scheduler (daily), and shown at /compliance/self-audit/.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from lookout.compliance.commitments import load_commitments
from lookout.compliance.models import SelfAuditRun
from lookout.compliance.selfaudit import data_checks, job_checks, ops_checks
from lookout.compliance.selfaudit.result import CheckResult, title_of

logger = logging.getLogger(__name__)


def _checks(since: datetime | None) -> list[Callable[[], CheckResult]]:
    """Every live check, each with its title (`titled`, next to the check)."""

    @functools.wraps(ops_checks.partner_disclosures)  # its name and title
    def partner_disclosures() -> CheckResult:
        return ops_checks.partner_disclosures(since=since)

    return [
        data_checks.plaintext_scan,
        data_checks.inventory_coverage,
        data_checks.audit_chain,
        partner_disclosures,
        ops_checks.retention,
        job_checks.periodic_jobs,
        ops_checks.subject_requests,
        ops_checks.breach_incidents,
        ops_checks.partner_redactions,
        ops_checks.conversations,
        ops_checks.refunds,
        ops_checks.shipments,
        data_checks.keys,
        ops_checks.production_settings,
        ops_checks.cookie_inventory,
    ]


def _safely(check: Callable[[], CheckResult]) -> CheckResult:
    """A check that crashes is a failed check, named, not a crashed audit; either way the
    result carries the check's title."""
    try:
        result = check()
    except Exception as exc:
        name = getattr(check, "__name__", "check")
        logger.exception("self-audit check %s crashed", name)
        result = CheckResult(name, (), False, f"the check could not run ({type(exc).__name__})")
    return dataclasses.replace(result, title=title_of(check))


def per_commitment(checks: list[CheckResult]) -> list[dict[str, Any]]:
    """Each commitment with the live checks bearing on it: pass, fail, or "tests only"."""
    rows = []
    for commitment in load_commitments():
        mine = [c for c in checks if commitment.id in c.commitments]
        status = "tests only" if not mine else ("pass" if all(c.ok for c in mine) else "fail")
        rows.append(
            {
                "id": commitment.id,
                "title": commitment.title,
                "status": status,
                "checks": [c.name for c in mine],
            }
        )
    return rows


def last_run() -> SelfAuditRun | None:
    return SelfAuditRun.objects.order_by("-at").first()


def run_self_audit(*, notify: bool = True) -> SelfAuditRun:
    """Run every check, store the run, and message the privacy officers if any failed."""
    previous = last_run()
    started = timezone.now()
    checks = [_safely(check) for check in _checks(previous.at if previous else None)]
    ok = all(c.ok for c in checks)
    run = SelfAuditRun.objects.create(
        at=started,
        ok=ok,
        results={
            "checks": [c.as_json() for c in checks],
            "commitments": per_commitment(checks),
            "since": previous.at.isoformat() if previous else None,
        },
    )
    if not ok and notify:
        transaction.on_commit(lambda: notify_officers(run=run))
    return run


def notify_officers(*, run: SelfAuditRun) -> int:
    """Post the failures to every active privacy officer's inbox; how many were told."""
    from lookout.access.roles import Role
    from lookout.accounts.models import User
    from lookout.inbox.models import Message
    from lookout.inbox.services import send_message

    failed = [c for c in run.results.get("checks", []) if not c["ok"]]
    body = "\n".join(f"- {c.get('title') or c['name']}: {c['summary']}" for c in failed)
    told = 0
    officers = User.objects.filter(role=Role.PRIVACY_OFFICER, is_active=True, closed_at=None)
    for subject in officers.values_list("subject", flat=True):
        sent = send_message(
            subject=subject,
            kind=Message.Kind.ACCOUNT,
            title=f"Self-audit: {len(failed)} check(s) failed",
            body=f"The self-audit of {run.at:%Y-%m-%d %H:%M} UTC found:\n{body}\n\n"
            "Details: /compliance/self-audit/",
            dedupe_key=f"selfaudit:{run.pk}:{subject}",
        )
        told += sent is not None
    return told
