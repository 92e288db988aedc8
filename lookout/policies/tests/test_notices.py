"""Material changes reach every registered customer's inbox exactly once, in batches, even when
the sending task is interrupted and run again (C8.4)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from django.tasks import TaskResultStatus
from freezegun import freeze_time

from lookout.access import reveal
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.policies import notices
from lookout.policies.models import PolicyAcceptance, PolicyVersion
from lookout.policies.services import publish_version, record_acceptance
from lookout.policies.tasks import send_policy_notices

from .conftest import NEW_PRIVACY

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
SUMMARY = "We now explain exactly how we shorten IP addresses."


def _publish_material() -> PolicyVersion:
    return publish_version(
        document="privacy",
        text=NEW_PRIVACY,
        summary=SUMMARY,
        material=True,
        effective_on=date(2027, 4, 1),
    )


def _notices_per_person() -> Counter:
    return Counter(
        Message.objects.filter(kind=Message.Kind.POLICY_NOTICE).values_list("subject", flat=True)
    )


@pytest.fixture
def people(make_customer: Callable[[str], User], settings) -> list[User]:
    """Seven customers, batches of three, plus a staff member and a closed account."""
    settings.LOOKOUT_POLICY_NOTICE_BATCH = 3
    customers = [make_customer(f"customer{i}") for i in range(7)]
    create_account(email="wh@example.com", password="staff-long-pass-1", role="warehouse")
    closed = make_customer("gone")
    closed.closed_at, closed.is_active = NOW, False
    closed.save()
    return customers


@pytest.mark.commitment("C8.4")
@pytest.mark.django_db
def test_every_registered_customer_gets_the_notice_once_before_it_takes_effect(
    people: list[User], django_capture_on_commit_callbacks
) -> None:
    # When a material change is published (the task runs once the version is committed)
    with freeze_time(NOW), django_capture_on_commit_callbacks(execute=True):
        v = _publish_material()
    # Then each registered customer has exactly one notice, nobody else has one
    assert _notices_per_person() == Counter({p.subject: 1 for p in people})
    v.refresh_from_db()
    assert v.notices_completed_at == NOW < v.effective_at
    # And the notice says what changes and when, in the person's own inbox
    message = Message.objects.get(subject=people[0].subject)
    words = reveal(message, ["title", "body"], purpose=Purpose.SELF_SERVICE, actor=people[0])
    assert words["title"] == "Our Privacy Policy changes on 1 April 2027"
    assert SUMMARY in (words["body"] or "")
    assert "/policies/privacy/v2/changes/" in (words["body"] or "")


@pytest.mark.commitment("C8.4")
@pytest.mark.django_db
def test_an_interrupted_sending_task_rerun_reaches_everyone_exactly_once(
    people: list[User], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a material version, and a worker that dies at the fifth notice (second batch)
    with freeze_time(NOW):
        v = _publish_material()  # no on-commit here: the task is run by hand below
    real_send, calls = notices.send_message, []

    def dying_send(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["subject"])
        if len(calls) == 5:
            raise RuntimeError("worker killed")
        return real_send(**kwargs)

    monkeypatch.setattr(notices, "send_message", dying_send)
    with freeze_time(NOW):
        first = send_policy_notices.enqueue(version_id=str(v.id))
    # Then the first run failed after its first batch was delivered, and the half batch not
    assert first.status == TaskResultStatus.FAILED
    assert sum(_notices_per_person().values()) == 3
    v.refresh_from_db()
    assert v.notices_completed_at is None
    # When the task is run again (twice, for good measure)
    monkeypatch.setattr(notices, "send_message", real_send)
    with freeze_time(NOW):
        second = send_policy_notices.enqueue(version_id=str(v.id))
        third = send_policy_notices.enqueue(version_id=str(v.id))
    # Then every customer has exactly one notice
    assert second.status == third.status == TaskResultStatus.SUCCESSFUL
    assert second.return_value == 4 and third.return_value == 0
    assert _notices_per_person() == Counter({p.subject: 1 for p in people})


@pytest.mark.commitment("C8.4")
@pytest.mark.django_db
def test_someone_who_signs_up_while_a_change_is_pending_is_told_too(
    people: list[User], make_customer: Callable[[str], User], django_capture_on_commit_callbacks
) -> None:
    # Given a material change already sent out, not yet in force
    with freeze_time(NOW), django_capture_on_commit_callbacks(execute=True):
        v = _publish_material()
    # When a new customer signs up a week later
    with freeze_time("2027-03-08"):
        newcomer = make_customer("newcomer")
        accepted = record_acceptance(subject=newcomer.subject, how=PolicyAcceptance.How.SIGNUP)
    # Then they accepted the version in force, and got the notice of the coming one
    assert {a.version.number for a in accepted} == {1}
    assert (
        Message.objects.filter(
            subject=newcomer.subject,
            dedupe_key=notices.dedupe_key(version=v, subject=newcomer.subject),
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_a_non_material_change_sends_nothing(
    people: list[User], django_capture_on_commit_callbacks
) -> None:
    with freeze_time(NOW), django_capture_on_commit_callbacks(execute=True):
        publish_version(document="privacy", text=NEW_PRIVACY, summary="Wording.")
    assert Message.objects.count() == 0


@pytest.mark.commitment("C8.4")
@pytest.mark.django_db
def test_only_open_customer_accounts_are_told(
    make_customer: Callable[[str], User], django_capture_on_commit_callbacks
) -> None:
    # Given a customer, an account that was switched off (not closed) and one that was closed
    # (its sign-in not yet switched off)
    customer = make_customer("open")
    switched_off = make_customer("switched.off")
    switched_off.is_active = False
    switched_off.save()
    closed = make_customer("closed")
    closed.closed_at = NOW
    closed.save()
    # When a material change is published
    with freeze_time(NOW), django_capture_on_commit_callbacks(execute=True):
        _publish_material()
    # Then only the open account is told
    assert _notices_per_person() == Counter({customer.subject: 1})


@pytest.mark.commitment("C8.4")
@pytest.mark.django_db
def test_the_notice_says_what_the_person_can_do_before_it_takes_effect(
    make_customer: Callable[[str], User], django_capture_on_commit_callbacks
) -> None:
    customer = make_customer("reader")
    with freeze_time(NOW), django_capture_on_commit_callbacks(execute=True):
        _publish_material()
    message = Message.objects.get(subject=customer.subject)
    body = reveal(message, ["body"], purpose=Purpose.SELF_SERVICE, actor=customer)["body"] or ""
    assert body.endswith(
        "If you keep using Lookout from 1 April 2027, you accept the new version. If you do not "
        "agree, you can close your account or ask us to delete your data from your privacy "
        "centre before then."
    )


@pytest.mark.commitment("C8.4")
@pytest.mark.django_db
def test_the_sending_task_of_a_non_material_change_sends_nothing_and_says_so(
    people: list[User],
) -> None:
    with freeze_time(NOW):
        v = publish_version(document="privacy", text=NEW_PRIVACY, summary="Wording.")
        result = send_policy_notices.enqueue(version_id=str(v.id))
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 0
    assert Message.objects.count() == 0


@pytest.mark.commitment("C8.4")
@pytest.mark.django_db
def test_a_version_is_marked_notified_only_by_its_own_run_and_only_once(
    people: list[User],
) -> None:
    # Given two material changes waiting to be sent (the tasks are run by hand below)
    with freeze_time(NOW):
        privacy = _publish_material()
        refund = publish_version(
            document="refund",
            text="Refunds in full within 60 days, and now by bank transfer too.",
            summary="You can be refunded by bank transfer.",
            material=True,
            effective_on=date(2027, 4, 1),
        )
        # When the privacy notices are all sent
        send_policy_notices.enqueue(version_id=str(privacy.id))
    # Then only the privacy change is recorded as notified
    privacy.refresh_from_db()
    refund.refresh_from_db()
    assert privacy.notices_completed_at == NOW
    assert refund.notices_completed_at is None
    # And running the task again later keeps the day everyone was told
    with freeze_time("2027-03-20"):
        assert send_policy_notices.enqueue(version_id=str(privacy.id)).return_value == 0
    privacy.refresh_from_db()
    assert privacy.notices_completed_at == NOW
