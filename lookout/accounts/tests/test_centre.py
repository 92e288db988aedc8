from __future__ import annotations

import pytest
from django.test import Client

from lookout.accounts.models import MarketingChoice, User
from lookout.accounts.selectors import marketing_opted_in, users_opted_in_to_marketing
from lookout.accounts.services import (
    MARKETING_CENTRE_OPT_IN_WORDING,
    MARKETING_CENTRE_OPT_OUT_WORDING,
    sign_up,
)
from lookout.accounts.tests.conftest import sign_in
from lookout.audit.models import AuditEntry


@pytest.fixture
def opted_in_client() -> tuple[User, Client]:
    user = sign_up(email="ann@example.com", password="a-long-enough-pass", marketing_opt_in=True)
    client = Client()
    sign_in(client, "ann@example.com", "a-long-enough-pass")
    return user, client


@pytest.mark.commitment("C3.1")
@pytest.mark.django_db
def test_account_centre_shows_the_own_email_through_the_audited_gate(opted_in_client):
    # given
    user, client = opted_in_client
    # when
    response = client.get("/accounts/")
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "ann@example.com" in html
    assert MARKETING_CENTRE_OPT_OUT_WORDING in html
    assert 'href="/accounts/password/change/"' in html
    entry = (
        AuditEntry.objects.filter(subject_ref=str(user.subject), action="reveal")
        .order_by("-seq")
        .first()
    )
    assert entry is not None
    assert entry.purpose == "self_service"


@pytest.mark.django_db
def test_account_centre_needs_a_signed_in_person():
    # when
    response = Client().get("/accounts/")
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.commitment("C3.7")
@pytest.mark.django_db
def test_opting_out_in_the_centre_takes_effect_at_once_and_is_recorded(opted_in_client):
    # given
    user, client = opted_in_client
    assert user in users_opted_in_to_marketing()
    # when
    response = client.post("/accounts/marketing/", {"opted_in": "no"})
    # then
    assert response.status_code == 302
    assert marketing_opted_in(user=user) is False
    assert user not in users_opted_in_to_marketing()
    latest = MarketingChoice.objects.filter(user=user).order_by("-at").first()
    assert latest is not None
    assert latest.opted_in is False
    assert latest.wording == MARKETING_CENTRE_OPT_OUT_WORDING
    assert latest.source == "account_centre"
    # the earlier opt-in stays as proof
    assert MarketingChoice.objects.filter(user=user).count() == 2
    assert MARKETING_CENTRE_OPT_IN_WORDING in client.get("/accounts/").content.decode()


@pytest.mark.commitment("C3.6")
@pytest.mark.django_db
def test_opting_in_again_from_the_centre_is_recorded_with_its_wording(opted_in_client):
    # given
    user, client = opted_in_client
    client.post("/accounts/marketing/", {"opted_in": "no"})
    # when
    client.post("/accounts/marketing/", {"opted_in": "yes"})
    # then
    assert marketing_opted_in(user=user) is True
    latest = MarketingChoice.objects.filter(user=user).order_by("-at").first()
    assert latest is not None and latest.wording == MARKETING_CENTRE_OPT_IN_WORDING


@pytest.mark.commitment("C3.6")
@pytest.mark.django_db
def test_people_who_left_the_box_unticked_are_never_in_the_marketing_audience():
    # given
    ben = sign_up(email="ben@example.com", password="a-long-enough-pass", marketing_opt_in=False)
    ann = sign_up(email="ann@example.com", password="a-long-enough-pass", marketing_opt_in=True)
    # when
    audience = set(users_opted_in_to_marketing())
    # then
    assert audience == {ann}
    assert ben not in audience


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{}, {"opted_in": "maybe"}, {"opted_in": "x" * 10_000}])
def test_a_garbled_marketing_choice_gets_400_and_changes_nothing(opted_in_client, data: dict):
    # given
    user, client = opted_in_client
    before = MarketingChoice.objects.count()
    # when
    response = client.post("/accounts/marketing/", data)
    # then
    assert response.status_code == 400
    assert MarketingChoice.objects.count() == before
    assert marketing_opted_in(user=user) is True


@pytest.mark.django_db
def test_marketing_switch_only_takes_post(opted_in_client):
    # given
    _, client = opted_in_client
    # when / then
    assert client.get("/accounts/marketing/").status_code == 405
