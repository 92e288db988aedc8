"""The self-audit page says when it last ran as a person reads it, the machine time kept in
`<time datetime>`; a check's name is shown as the identifier it is (issue 22)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from lookout.access.roles import Role
from lookout.accounts.middleware import OTP_SESSION_KEY
from lookout.accounts.services import create_account
from lookout.compliance.selfaudit.runner import last_run, run_self_audit
from lookout.testing.pages import reads_as_machine

pytestmark = pytest.mark.django_db


def test_the_last_run_reads_in_words() -> None:
    run_self_audit(notify=False)
    run = last_run()
    assert run is not None
    officer = create_account(
        email="officer@example.com", password="staff-long-pass-1", role=Role.PRIVACY_OFFICER
    )
    client = Client()
    client.force_login(officer)
    session = client.session
    session[OTP_SESSION_KEY] = True
    session.save()

    page = client.get("/compliance/self-audit/").content.decode()

    at = run.at
    assert (
        f'Last run <time datetime="{at.isoformat()}">{at.day} {at:%B %Y, %H:%M} UTC</time>' in page
    )
    assert "<code>plaintext_scan</code>" in page
    # the evidence under each check is the run's record as stored, for an auditor to read
    outside_evidence = re.sub(r"<details>.*?</details>", "", page, flags=re.S)
    assert reads_as_machine(outside_evidence) == [], reads_as_machine(outside_evidence)
