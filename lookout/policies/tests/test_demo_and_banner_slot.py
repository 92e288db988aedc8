"""The demo loader is idempotent, and the site-wide banner data is there for base.html."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from freezegun import freeze_time

from lookout.policies import demo
from lookout.policies.context_processors import policy_announcements
from lookout.policies.models import PolicyVersion
from lookout.policies.services import publish_version


@pytest.mark.django_db
def test_the_demo_loader_keeps_the_three_first_versions() -> None:
    lines: list[str] = []
    demo.load(progress=lines.append)
    demo.load(progress=lines.append)
    assert PolicyVersion.objects.count() == 3
    assert lines[-1].startswith("policies: 0 first version(s) created")


@pytest.mark.commitment("C8.2")
@pytest.mark.django_db
def test_the_context_processor_announces_a_new_version_on_any_page() -> None:
    with freeze_time("2027-03-01"):
        v = publish_version(document="refund", text="# Refund Policy\n\nStill 60 days.")
        found = policy_announcements(RequestFactory().get("/"))["policy_announcements"]()
    assert [a.version for a in found] == [v]
