"""Promotions reach only the inboxes of people opted in at sending time (C3.6), every one has a
one-click opt-out that works at once (C3.7), and the choice changes no price (C3.7)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from lookout.access import reveal
from lookout.accounts.selectors import marketing_opted_in, users_opted_in_to_marketing
from lookout.accounts.services import record_marketing_choice
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.marketing import services
from lookout.marketing.models import Promotion
from lookout.marketing.tests.conftest import PASSWORD

SITE = "https://shop.example.com/"


def _promotions(user) -> list[Message]:
    return list(Message.objects.filter(subject=user.subject, kind="promotion"))


def _compose_and_send(staff, *, capture) -> Promotion:
    manager, _ = staff("catalog_manager")
    promotion = services.create_promotion(
        title="Spring deals", body="Doorbells 20% off this week.", actor=manager
    )
    with capture(execute=True):
        services.send_promotion(promotion=promotion, actor=manager, site_url=SITE)
    promotion.refresh_from_db()
    return promotion


@pytest.mark.django_db
@pytest.mark.commitment("C3.6")
def test_a_promotion_reaches_only_the_opted_in_and_never_reads_an_email(
    people, staff, django_capture_on_commit_callbacks
):
    last_seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    # when a catalog manager sends a promotion
    promotion = _compose_and_send(staff, capture=django_capture_on_commit_callbacks)
    # then only the person who ticked the box has it, in the inbox
    assert len(_promotions(people["opted_in"])) == 1
    assert _promotions(people["unticked"]) == []
    assert _promotions(people["left"]) == []
    assert promotion.status == Promotion.Status.SENT and promotion.recipients == 1
    # and no email was sent, and no email address was read to send it
    assert mail.outbox == []
    during = AuditEntry.objects.filter(seq__gt=last_seq)
    assert {e.action for e in during} >= {"promotion.sent", "promotion.delivered"}
    assert not [e for e in during if "accounts.User.email" in e.fields]


@pytest.mark.django_db
@pytest.mark.commitment("C3.6", "C3.7")
def test_someone_who_opted_out_a_second_before_sending_gets_nothing(
    people, staff, django_capture_on_commit_callbacks
):
    user = people["opted_in"]
    at = timezone.now() + timedelta(hours=1)  # after the sign-up's opt-in
    # given the person opts out one second before the promotion is sent
    with freeze_time(at):
        record_marketing_choice(user=user, opted_in=False, wording="Stop", source="centre")
    # when it is sent
    with freeze_time(at + timedelta(seconds=1)):
        _compose_and_send(staff, capture=django_capture_on_commit_callbacks)
    # then they get nothing
    assert _promotions(user) == []


@pytest.mark.django_db
@pytest.mark.commitment("C3.7")
def test_an_opt_out_during_a_send_stops_that_persons_delivery(people, staff):
    # given a send that has already listed its recipients
    manager, _ = staff("catalog_manager")
    promotion = services.create_promotion(title="Deal", body="Cheap cameras.", actor=manager)
    listed = list(users_opted_in_to_marketing().values_list("pk", flat=True))
    user = people["opted_in"]
    assert user.pk in listed
    # when the person opts out before their turn comes
    record_marketing_choice(user=user, opted_in=False, wording="Stop", source="centre")
    # then the delivery re-checks their choice and posts nothing
    assert services.deliver_to(promotion=promotion, user_id=user.pk) is False
    assert _promotions(user) == []


@pytest.mark.django_db
@pytest.mark.commitment("C3.6")
def test_sending_again_posts_nothing_twice(people, staff, django_capture_on_commit_callbacks):
    promotion = _compose_and_send(staff, capture=django_capture_on_commit_callbacks)
    # a resumed or repeated delivery task
    Promotion.objects.filter(pk=promotion.pk).update(status=Promotion.Status.SENDING)
    assert services.deliver_all(promotion_id=promotion.pk) == 0
    assert len(_promotions(people["opted_in"])) == 1


@pytest.mark.django_db
@pytest.mark.commitment("C3.7")
def test_the_one_click_link_opts_out_at_once_without_signing_in(
    people, staff, django_capture_on_commit_callbacks
):
    user = people["opted_in"]
    _compose_and_send(staff, capture=django_capture_on_commit_callbacks)
    # given the link in the promotion the person received (read as the person would)
    message = _promotions(user)[0]
    body = reveal(message, ["body"], purpose=Purpose.SELF_SERVICE, actor=user)["body"] or ""
    link = re.search(r"https://shop\.example\.com(/marketing/opt-out/[^\s]+/)", body)
    assert link is not None
    # when someone who is not signed in opens it, once
    response = Client().get(link.group(1))
    # then the opt-out is recorded at once, with its wording and source
    assert response.status_code == 200
    assert "no more promotions" in response.content.decode()
    assert not marketing_opted_in(user=user)
    assert user.marketing_choices.first().source == "promotion_link"
    # and the next promotion does not reach them
    _compose_and_send(staff, capture=django_capture_on_commit_callbacks)
    assert len(_promotions(user)) == 1
    # and opening the link again changes nothing more
    before = user.marketing_choices.count()
    assert Client().get(link.group(1)).status_code == 200
    assert user.marketing_choices.count() == before


@pytest.mark.django_db
@pytest.mark.commitment("C3.7")
@pytest.mark.parametrize("token", ["not-a-token", "x" * 300, "ImFiYyI:1abc:forged"])
def test_a_forged_opt_out_link_is_refused_and_changes_nothing(people, token):
    before = {k: u.marketing_choices.count() for k, u in people.items()}
    response = Client().get(f"/marketing/opt-out/{token}/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert {k: u.marketing_choices.count() for k, u in people.items()} == before


@pytest.mark.django_db
@pytest.mark.commitment("C3.6")
@pytest.mark.parametrize("role", [None, "customer", "administrator", "after_sales"])
def test_only_a_catalog_manager_reaches_the_promotions_page(people, staff, role):
    if role is None:
        client = Client()
    elif role == "customer":
        client = Client()
        client.force_login(people["opted_in"])
    else:
        client = staff(role)[1]
    # same 404 for everyone else, and a POST creates nothing
    assert client.get("/marketing/").status_code == 404
    assert client.post("/marketing/", {"title": "x", "body": "y"}).status_code == 404
    assert not Promotion.objects.exists()


@pytest.mark.django_db
@pytest.mark.commitment("C4.7")  # staff second factor; proves nothing about opt-in (C3.6)
def test_a_catalog_manager_without_the_second_factor_is_sent_to_it(people):
    from lookout.accounts.services import create_account

    manager = create_account(email="cm@example.com", password=PASSWORD, role="catalog_manager")
    client = Client()
    client.force_login(manager)
    response = client.get("/marketing/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/")


@pytest.mark.django_db
@pytest.mark.commitment("C3.6")
def test_the_manager_composes_and_sends_from_the_page(
    people, staff, django_capture_on_commit_callbacks
):
    _, client = staff("catalog_manager")
    # bad input: a clear message, nothing saved
    response = client.post("/marketing/", {"title": "", "body": "x" * 6000})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Please give the promotion a title." in text
    assert "at most 5000 characters" in text
    assert not Promotion.objects.exists()
    # good input: a draft, then sent
    assert client.post("/marketing/", {"title": "Deals", "body": "All 10% off"}).status_code == 302
    promotion = Promotion.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/marketing/{promotion.pk}/send/").status_code == 302
    promotion.refresh_from_db()
    assert promotion.status == Promotion.Status.SENT
    assert len(_promotions(people["opted_in"])) == 1
    # sending twice is refused with a message
    assert client.post(f"/marketing/{promotion.pk}/send/").status_code == 409
    assert client.get("/marketing/").status_code == 200
