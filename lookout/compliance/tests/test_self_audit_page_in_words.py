"""The self-audit page says when it last ran as a person reads it, the machine time kept in
`<time datetime>`; each check by its title, its identifier shown as code; its evidence in words,
the stored JSON kept in a collapsed "raw evidence" (issue 22)."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from lookout.access.roles import Role
from lookout.accounts.services import create_account
from lookout.compliance.selfaudit.result import title_of
from lookout.compliance.selfaudit.runner import _checks, last_run, run_self_audit
from lookout.testing.pages import reads_as_machine
from lookout.testing.staff import client_past_second_factor

pytestmark = pytest.mark.django_db


def test_the_last_run_reads_in_words() -> None:
    run_self_audit(notify=False)
    run = last_run()
    assert run is not None
    officer = create_account(
        email="officer@example.com", password="staff-long-pass-1", role=Role.PRIVACY_OFFICER
    )
    client = client_past_second_factor(officer)

    page = client.get("/compliance/self-audit/").content.decode()

    at = run.at
    assert (
        f'Last run <time datetime="{at.isoformat()}">{at.day} {at:%B %Y, %H:%M} UTC</time>' in page
    )
    assert "<code>plaintext_scan</code>" in page
    for check in run.results["checks"]:
        assert check["title"] and f"{escape(check['title'])} <code>{check['name']}</code>" in page
    # the evidence in words is read like the rest of the page; only the raw JSON, kept for an
    # auditor, is the run's record as stored
    raw = re.findall(r'<details class="raw-evidence">.*?</details>', page, flags=re.S)
    assert len(raw) == len(run.results["checks"])
    assert "<dt>Rows scanned</dt>" in page
    readable = re.sub(r'<details class="raw-evidence">.*?</details>', "", page, flags=re.S)
    assert reads_as_machine(readable) == [], reads_as_machine(readable)


def test_every_check_has_a_title() -> None:
    checks = _checks(None)
    assert len(checks) >= 15
    for check in checks:
        assert title_of(check), f"{check.__name__} has no title: add @titled(...) above it"
