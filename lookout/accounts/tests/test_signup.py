from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from lookout.accounts.models import MarketingChoice, User
from lookout.accounts.services import MARKETING_OPT_IN_WORDING, EmailTaken, sign_up
from lookout.accounts.tests.conftest import sign_in
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.retention.registry import rule_named
from lookout.retention.services import run_rule
from lookout.vault.blind_index import email_index
from lookout.vault.models import DataKey

GOOD = {
    "email": "new.person@example.com",
    "password1": "a-long-enough-pass",
    "password2": "a-long-enough-pass",
}


@pytest.mark.commitment("C2.5", "C3.6")
@pytest.mark.django_db
def test_signup_form_asks_only_email_and_password_and_offers_an_unticked_box(client: Client):
    # when
    html = client.get("/accounts/signup/").content.decode()
    # then: the sign-up form (not the site's search box) has exactly these inputs
    form = re.search(r'<form [^>]*action="/accounts/signup/".*?</form>', html, re.S)
    assert form is not None
    inputs = re.findall(r"<input [^>]*>", form.group(0))
    names = {re.search(r'name="([^"]+)"', i).group(1) for i in inputs}  # type: ignore[union-attr]
    assert names == {"csrfmiddlewaretoken", "email", "password1", "password2", "marketing_opt_in"}
    box = next(i for i in inputs if 'name="marketing_opt_in"' in i)
    assert 'type="checkbox"' in box
    assert "checked" not in box
    assert "required" not in box
    assert MARKETING_OPT_IN_WORDING in html


@pytest.mark.commitment("C2.5", "C3.6")
@pytest.mark.django_db
@pytest.mark.parametrize("ticked", [True, False])
def test_signup_creates_the_account_and_records_the_choice_with_its_wording(
    client: Client, ticked: bool
):
    # given
    data = {**GOOD, **({"marketing_opt_in": "on"} if ticked else {})}
    # when
    response = client.post("/accounts/signup/", data)
    # then
    assert response.status_code == 302
    user = User.objects.get(email_index=email_index("new.person@example.com"))
    assert user.role == ""
    assert user.check_password("a-long-enough-pass")
    choice = MarketingChoice.objects.get(user=user)
    assert choice.opted_in is ticked
    assert choice.wording == MARKETING_OPT_IN_WORDING
    assert choice.source == "signup"
    assert choice.at is not None
    # and the answer is "check your email", as for an email that has an account: nobody is
    # signed in by it (a session would tell the two apart), the welcome email says how to
    assert response["Location"] == "/accounts/signup/sent/"
    assert "_auth_user_id" not in client.session
    assert [m.subject for m in mail.outbox] == ["Your Lookout account is open"]
    assert mail.outbox[0].to == ["new.person@example.com"]
    # and the new person signs in with the password they chose
    assert sign_in(client, "new.person@example.com", "a-long-enough-pass").status_code == 302
    assert client.get("/accounts/").status_code == 200


@pytest.mark.commitment("C2.5")
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "valid email address"),
        ({"email": ""}, "email", "enter your email"),
        ({"email": "a" * 10_000 + "@example.com"}, "email", "at most 254 characters"),
        ({"password1": "short", "password2": "short"}, "password1", "too short"),
        ({"password1": "password123", "password2": "password123"}, "password1", "too common"),
        ({"password1": "1234567890123", "password2": "1234567890123"}, "password1", "numeric"),
        ({"password2": "something-else-long"}, "password2", "do not match"),
        ({"password1": "x" * 10_000, "password2": "x" * 10_000}, "password1", "at most 512"),
    ],
)
def test_bad_signup_input_gets_a_clear_message_and_creates_nothing(
    client: Client, counts, change: dict, field: str, message: str
):
    # given
    before = counts()
    # when
    response = client.post("/accounts/signup/", {**GOOD, **change})
    # then
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors[field])
    assert message.lower() in errors.lower()
    assert message.lower() in response.content.decode().lower().replace("&#x27;", "'")
    assert counts() == before
    assert "_auth_user_id" not in client.session


@pytest.mark.commitment("C2.5")
@pytest.mark.django_db
def test_a_nul_character_is_refused_with_a_clear_message_and_creates_nothing(
    client: Client, counts
):
    # given
    before = counts()
    # when a NUL hides in the email (refused before any form code sees it)
    response = client.post("/accounts/signup/", {**GOOD, "email": "bad\x00@example.com"})
    # then
    assert response.status_code == 400
    assert "contains a NUL character" in response.content.decode()
    assert counts() == before
    assert "_auth_user_id" not in client.session


def _signup_page(client: Client, response) -> str:  # type: ignore[no-untyped-def]
    """The page a sign-up leads to, without what differs by design (nonces, CSRF tokens)."""
    html = client.get(response["Location"]).content.decode()
    html = re.sub(r'nonce="[^"]*"', 'nonce=""', html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "csrf", html)


@pytest.mark.commitment("C2.5")
@pytest.mark.django_db
def test_a_sign_up_for_a_taken_email_in_any_case_answers_as_a_new_one_and_tells_its_owner(
    counts,
):
    """Finding 3 of the 2026-12 attack: the form said "An account with this email already
    exists" to anyone. Now a taken email gets the same status, the same page and no session,
    nothing is created, and the account's owner is told by email how to get back in."""
    # given an account, and a sign-up for an email nobody has (the answer to compare with)
    first, fresh = Client(), Client()
    assert first.post("/accounts/signup/", GOOD).status_code == 302
    new_answer = fresh.post("/accounts/signup/", {**GOOD, "email": "someone.else@example.com"})
    mail.outbox.clear()
    before = counts()
    # when the taken email is signed up for again, in another case and with spaces
    taken = Client()
    response = taken.post("/accounts/signup/", {**GOOD, "email": "  New.Person@EXAMPLE.com "})
    # then the answer is the new sign-up's: status, place and page; and no session
    assert response.status_code == new_answer.status_code == 302
    assert response["Location"] == new_answer["Location"]
    assert _signup_page(taken, response) == _signup_page(fresh, new_answer)
    assert "already exists" not in _signup_page(taken, response)
    assert "_auth_user_id" not in taken.session and "_auth_user_id" not in fresh.session
    # and nothing was created
    assert counts() == before
    # and the owner got one email: someone tried, and how to reset the password
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == ["new.person@example.com"]
    assert notice.subject == "Someone tried to open a Lookout account with your email"
    assert "http://testserver/accounts/password/reset/" in str(notice.body)
    # and its address was read through the gate, audited
    owner = User.objects.get(email_index=email_index("new.person@example.com"))
    assert AuditEntry.objects.filter(
        subject_ref=str(owner.subject), purpose=str(Purpose.ACCOUNT_NOTICE)
    ).exists()


@pytest.mark.commitment("C2.5")
@pytest.mark.django_db
def test_sign_ups_are_throttled_per_client_network_whether_or_not_the_email_is_taken(
    settings, counts
):
    """Each sign-up asks, in effect, whether an email has an account (its owner would be told),
    so one network gets only so many: then 429, taken or new alike, nothing created."""
    # given a low per-network limit, and one account
    settings.LOOKOUT_LOGIN_LIMIT_PER_IP = 3
    sign_up(email="taken@example.com", password="a-long-enough-pass", marketing_opt_in=False)
    before = counts()
    # when one network tries many addresses (IPv6: any address of one /64)
    answers = [
        Client(REMOTE_ADDR=f"2001:db8:7:7::{n}")
        .post("/accounts/signup/", {**GOOD, "email": f"probe{n}@example.com"})
        .status_code
        for n in range(3)
    ]
    taken = Client(REMOTE_ADDR="2001:db8:7:7::99").post(
        "/accounts/signup/", {**GOOD, "email": "taken@example.com"}
    )
    new = Client(REMOTE_ADDR="2001:db8:7:7::98").post(
        "/accounts/signup/", {**GOOD, "email": "brand.new@example.com"}
    )
    elsewhere = Client(REMOTE_ADDR="2001:db8:8:8::1").post(
        "/accounts/signup/", {**GOOD, "email": "brand.new@example.com"}
    )
    # then
    assert answers == [302, 302, 302]
    assert taken.status_code == new.status_code == 429
    assert "Too many sign-ups; try again in" in taken.content.decode()
    assert int(taken["Retry-After"]) > 0
    assert counts()[0] == before[0] + 3 + 1  # the three probes and the other network's
    assert elsewhere.status_code == 302


@pytest.mark.commitment("C2.5")
@pytest.mark.django_db
def test_a_sign_up_that_loses_a_race_leaves_only_a_key_that_retention_destroys(counts):
    """Two sign-ups can pass the form's duplicate check together; the second writes no user
    and no choice. Its data key committed first (a key always commits before what it seals:
    vault.crypto.new_subject), holds nothing, and the next day's retention run destroys it."""
    # given
    sign_up(email="race@example.com", password="a-long-enough-pass", marketing_opt_in=True)
    users, keys, choices = counts()
    # when
    with pytest.raises(EmailTaken):
        sign_up(email="race@example.com", password="a-long-enough-pass", marketing_opt_in=True)
    # then: no user and no marketing choice; one unused key
    assert counts() == (users, keys + 1, choices)
    # and the retention run a day later destroys that key and only that one
    run_rule(rule=rule_named("vault.unused_keys"), now=timezone.now() + timedelta(days=1, hours=1))
    assert counts() == (users, keys, choices)
    user = User.objects.get(email_index=email_index("race@example.com"))
    assert DataKey.objects.filter(subject=user.subject).exists()


@pytest.mark.commitment("C2.5")
@pytest.mark.django_db
def test_signup_without_csrf_token_is_refused(counts):
    # given
    client = Client(enforce_csrf_checks=True)
    before = counts()
    # when
    response = client.post("/accounts/signup/", GOOD)
    # then
    assert response.status_code == 403
    assert counts() == before
