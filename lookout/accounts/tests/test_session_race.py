"""A request still in flight with the pre-sign-in session cookie must not sign the person out."""

from __future__ import annotations

import pytest
from django.test import Client

from lookout.accounts.models import User
from lookout.accounts.tests.conftest import session_before_sign_in, sign_in

BEACON = b'{"events": [{"kind": "page_view", "path": "/"}]}'


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_a_late_request_with_the_old_session_cookie_leaves_the_new_one_alone(customer: User):
    # given a browser with a session, whose sign-in then rotates the session id
    client = Client()
    old = session_before_sign_in(client)
    assert sign_in(client, "ann@example.com").status_code == 302
    new = client.cookies["lookout_session"].value
    assert new != old
    # when a request the browser sent before the rotation (an analytics beacon flushed as the
    # form was submitted) arrives afterwards, still carrying the old cookie
    late = Client()
    late.cookies["lookout_session"] = old
    response = late.post("/analytics/beacon", BEACON, content_type="application/json")
    # then its answer does not tell the browser to delete the session cookie
    assert response.status_code < 500
    assert "lookout_session" not in response.cookies
    # and the signed-in session still works
    assert client.get("/accounts/").status_code == 200


@pytest.mark.commitment("C4.7")
@pytest.mark.django_db
def test_signing_out_still_deletes_the_session_cookie(customer: User):
    client = Client()
    sign_in(client, "ann@example.com")
    response = client.post("/accounts/logout/")
    cookie = response.cookies["lookout_session"]
    assert cookie.value == "" and cookie["max-age"] == 0
    assert client.get("/accounts/").status_code == 302  # back to the sign-in page
