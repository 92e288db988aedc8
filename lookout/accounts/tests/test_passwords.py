from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from lookout.accounts.models import User
from lookout.accounts.tests.conftest import PASSWORD, sign_in
from lookout.audit.models import AuditEntry


@pytest.mark.django_db
def test_password_reset_mails_a_link_that_sets_a_new_password(customer: User):
    # when
    response = Client().post("/accounts/password/reset/", {"email": " Ann@Example.com"})
    # then: the same answer as for anybody, and one email to the account's address
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ann@example.com"]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/\S+/)", str(message.body))
    assert link is not None
    # and the read of the address was audited as an account notice by the system
    entry = AuditEntry.objects.filter(subject_ref=str(customer.subject)).order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.purpose, entry.actor_ref) == ("reveal", "account_notice", "system")
    # when: the link is followed and a new password chosen
    client = Client()
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-pass", "new_password2": "a-brand-new-pass"},
    )
    # then
    assert done.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password("a-brand-new-pass")
    # and the link works only once
    assert "has been used already" in Client().get(link.group(1), follow=True).content.decode()


@pytest.mark.django_db
def test_password_reset_answers_the_same_for_an_unknown_email(customer: User):
    # when
    known = Client().post("/accounts/password/reset/", {"email": "ann@example.com"})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    # then
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["", "nope", "a" * 10_000 + "@example.com"])
def test_password_reset_with_a_malformed_email_gets_400(customer: User, email: str):
    # when
    response = Client().post("/accounts/password/reset/", {"email": email})
    # then
    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    assert mail.outbox == []


@pytest.mark.django_db
def test_password_change_keeps_the_person_signed_in_and_checks_the_old_password(
    customer: User,
):
    # given
    client = Client()
    sign_in(client, "ann@example.com")
    # when: the old password is wrong
    refused = client.post(
        "/accounts/password/change/",
        {
            "old_password": "not-it",
            "new_password1": "another-long-pass",
            "new_password2": "another-long-pass",
        },
    )
    # then
    assert refused.status_code == 400
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)
    # when: it is right
    done = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-pass",
            "new_password2": "another-long-pass",
        },
    )
    # then
    assert done.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password("another-long-pass")
    assert customer.password.startswith("argon2")
    assert client.get("/accounts/").status_code == 200


@pytest.mark.django_db
def test_password_reset_requests_are_throttled_per_address(customer: User, settings):
    # given
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 2
    for n in range(2):
        Client().post(
            "/accounts/password/reset/", {"email": "ann@example.com"}, REMOTE_ADDR=f"10.1.0.{n}"
        )
    # when
    response = Client().post(
        "/accounts/password/reset/", {"email": "ann@example.com"}, REMOTE_ADDR="10.1.0.9"
    )
    # then
    assert response.status_code == 429
    assert "Too many password reset requests; try again in" in response.content.decode()
    assert len(mail.outbox) == 2
