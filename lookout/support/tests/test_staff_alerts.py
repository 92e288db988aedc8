"""Staff are emailed when a conversation waits in their role's queue or becomes overdue, if
they chose it (issue 23, item 2; C1.9): over SMTP to a real server the test starts, once per
conversation per event however often the periodic task runs, and with nothing of the person
or the message in the mail (the same rule as the customers' notices)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from lookout.core.scheduler import periodic_jobs
from lookout.orders.testing import place
from lookout.support import services, staff_alerts, tasks
from lookout.support.models import Conversation, StaffAlert
from lookout.support.tests.smtp import body_of, smtp_server

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]

WORDS = "My parcel never came; I am Ada Quill at 4 Lantern Row, call me on 555 0101."


def _opt_in(client) -> None:  # type: ignore[no-untyped-def]
    saved = client.post("/help/staff/notices/", {"email_on_waiting": "on"})
    assert saved.status_code == 302
    assert 'id="staff-notices-saved"' in client.get(saved["Location"]).content.decode()


def _address(user) -> str:  # type: ignore[no-untyped-def]
    from lookout.access import reveal
    from lookout.core.purposes import Purpose

    return str(reveal(user, ["email"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["email"])


def _mails_to(received, address: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [body_of(m) for to, m in received.mails if to == [address]]


@pytest.mark.commitment("C1.9")
def test_opted_in_staff_are_told_once_that_a_conversation_waits_and_when_it_is_overdue(
    staff, django_capture_on_commit_callbacks, caplog
) -> None:
    keen, keen_client = staff("after_sales")
    _opt_in(keen_client)
    quiet, _ = staff("after_sales")  # did not choose it
    payer, payer_client = staff("finance")
    _opt_in(payer_client)
    order = place()
    caplog.set_level(logging.DEBUG)
    with smtp_server() as received:
        with django_capture_on_commit_callbacks(execute=True):
            conversation = services.open_conversation(
                subject=order.subject, topic="order", body=WORDS, order=order, guest=True
            )
        (mail,) = _mails_to(received, _address(keen))
        assert not _mails_to(received, _address(quiet))
        assert not _mails_to(received, _address(payer))  # not finance's queue
        assert "waits for an answer" in mail and "after-sales queue" in mail
        assert f"/help/staff/{conversation.pk}/" in mail
        for private in ("Ada", "Lantern", "555", "parcel", order.number):
            assert private not in mail
        (_, message) = received.mails[0]
        assert message["Subject"] == "A customer conversation waits in your queue"

        # Handed to finance: finance's staff who chose it are told, once.
        with django_capture_on_commit_callbacks(execute=True):
            services.hand_over(conversation=conversation, to_role="finance")
            services.hand_over(conversation=conversation, to_role="finance")  # no change
        assert len(_mails_to(received, _address(payer))) == 1

        # Overdue: the periodic task tells the role holding it, once however often it runs.
        Conversation.objects.filter(pk=conversation.pk).update(
            first_reply_due=timezone.localdate() - timedelta(days=1)
        )
        tasks.alert_overdue.call()
        tasks.alert_overdue.call()
        overdue = [m for m in _mails_to(received, _address(payer)) if "past its" in m]
        assert len(overdue) == 1 and "Ada" not in overdue[0]
        assert not [m for m in _mails_to(received, _address(keen)) if "past its" in m]
        assert StaffAlert.objects.filter(conversation=conversation).count() == 3
    # No address in the log.
    for address in (_address(keen), _address(payer)):
        assert address not in caplog.text


def test_a_mail_server_that_is_down_loses_no_alert(staff) -> None:
    _, client = staff("after_sales")
    _opt_in(client)
    order = place()
    conversation = services.open_conversation(subject=order.subject, topic="general", body="Hi")
    Conversation.objects.filter(pk=conversation.pk).update(
        first_reply_due=timezone.localdate() - timedelta(days=1)
    )
    closed_port = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "use_tls": False, "timeout": 2},
        }
    }
    with override_settings(MAILERS=closed_port):
        assert staff_alerts.alert_overdue()["emails"] == 0
    assert not StaffAlert.objects.filter(conversation=conversation).exists()  # given back
    with smtp_server() as received:
        assert staff_alerts.alert_overdue()["emails"] == 1
        assert len(received.mails) == 1


def test_nobody_is_emailed_who_did_not_choose_it_and_the_choice_can_be_undone(staff) -> None:
    _, client = staff("after_sales")
    _opt_in(client)
    client.post("/help/staff/notices/", {})  # unticked
    order = place()
    with smtp_server() as received:
        conversation = services.open_conversation(subject=order.subject, topic="general", body="Hi")
        assert staff_alerts.alert(conversation=conversation, kind=staff_alerts.WAITING) == 0
        assert received.mails == []
    # Customers and other roles do not reach the choice.
    _, warehouse = staff("warehouse")
    assert warehouse.post("/help/staff/notices/", {"email_on_waiting": "on"}).status_code == 404


def test_the_overdue_run_is_registered_with_the_scheduler() -> None:
    (job,) = [j for j in periodic_jobs() if j.name == "support.alert_overdue"]
    assert job.task == "lookout.support.tasks.alert_overdue"
