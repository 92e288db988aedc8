"""The privacy officer's queue and a request's page give dates as a person reads them, with the
machine date kept in `<time datetime>`, and no raw code in their text (issue 22, item 2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lookout.access.roles import Role
from lookout.orders.demo import CARRIER_NAME
from lookout.privacy.models import ExtensionReason, Kind, RestrictionGround, SubjectRequest
from lookout.privacy.tests.conftest import PASSWORD
from lookout.sharing.models import DeletionCertificate, Partner, RedactionRequest
from lookout.testing.pages import reads_as_machine

pytestmark = pytest.mark.django_db


def _in_words(moment) -> str:  # type: ignore[no-untyped-def]
    return f"{moment.day} {moment:%B %Y}"


def test_the_queue_gives_due_dates_restrictions_and_partner_requests_in_words(
    person, staff
) -> None:
    now = timezone.now()
    req = SubjectRequest.objects.create(
        subject=person.user.subject,
        kind=Kind.ACCESS,
        due_at=now + timedelta(days=12),
        verified_at=now,
    )
    person.client.post(
        "/privacy/restriction/", {"ground": RestrictionGround.LEGAL_CLAIMS, "password": PASSWORD}
    )
    certificate = DeletionCertificate.objects.create(
        reference="DC-TEST-1", subject_ref="hash", key_destroyed_at=now
    )
    redaction = RedactionRequest.objects.create(
        certificate=certificate,
        partner=Partner.objects.get(name=CARRIER_NAME),
        subject=person.user.subject,
        fields=["orders.Delivery.name"],
        due_at=now + timedelta(days=20),
    )

    _, officer = staff(Role.PRIVACY_OFFICER)
    page = officer.get("/privacy/queue/").content.decode()

    assert f'<time datetime="{req.due_at:%Y-%m-%d}">{_in_words(req.due_at)}</time>' in page
    assert f'<time datetime="{now:%Y-%m-%d}">{_in_words(now)}</time>' in page  # restricted
    assert (
        f'<time datetime="{redaction.due_at:%Y-%m-%d}">{_in_words(redaction.due_at)}</time>' in page
    )
    assert reads_as_machine(page) == [], reads_as_machine(page)


def test_a_request_page_says_when_it_was_extended_in_words(person, staff) -> None:
    now = timezone.now()
    req = SubjectRequest.objects.create(
        subject=person.user.subject,
        kind=Kind.CORRECTION,
        due_at=now + timedelta(days=40),
        due_before_extension=now + timedelta(days=10),
        extended_at=now,
        extension_reason=ExtensionReason.COMPLEX,
        verified_at=now,
    )

    _, officer = staff(Role.PRIVACY_OFFICER)
    page = officer.get(f"/privacy/queue/{req.id}/").content.decode()

    assert f'Extended once on <time datetime="{now:%Y-%m-%d}">{_in_words(now)}</time>' in page
    assert reads_as_machine(page) == [], reads_as_machine(page)
