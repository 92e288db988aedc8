"""RejectNulMiddleware: a NUL character never reaches a view (PostgreSQL text cannot hold one)."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.test.client import MULTIPART_CONTENT

from lookout.accounts.models import User
from lookout.core.middleware import MESSAGE, RejectNulMiddleware


@pytest.mark.django_db
@pytest.mark.commitment("C4.5")
@pytest.mark.parametrize(
    "url",
    ["/images/T%00.svg", "/compare/?sku=%00", "/compare/?%00=1", "/search/?q=a%00b", "/p/a%00/"],
)
def test_a_nul_in_a_page_address_answers_400_with_a_plain_explanation(url):
    # given a NUL in the path or the query string of a page
    client = Client(raise_request_exception=False)
    # when the page is asked for
    response = client.get(url)
    # then it is refused with 400 and a message that says why
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.commitment("C4.5")
def test_a_nul_in_an_api_address_answers_400_as_json():
    # given a NUL in an API path
    client = Client(raise_request_exception=False)
    # when it is asked for
    response = client.get("/api/v1/products/T-%00")
    # then the API answers 400 with its usual `detail` sentence
    assert response.status_code == 400
    assert response.json() == {"detail": MESSAGE}


@pytest.mark.django_db
@pytest.mark.commitment("C4.5")
def test_a_nul_in_a_form_field_is_refused_and_nothing_is_written():
    # given a sign-up form whose email holds a NUL
    client = Client(raise_request_exception=False)
    # when it is posted
    response = client.post(
        "/accounts/signup/",
        {
            "email": "nul\x00@example.com",
            "password1": "a-long-passphrase-1",
            "password2": "a-long-passphrase-1",
        },
    )
    # then it is refused with 400 before any view ran, and no account exists
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_a_request_without_nul_passes_through():
    # given an ordinary page address with a query string (positive control)
    client = Client(raise_request_exception=False)
    # when it is asked for
    response = client.get("/search/?q=camera")
    # then the view answers as usual
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.commitment("C4.5")
def test_a_nul_in_a_multipart_form_field_is_refused():
    # given a multipart sign-up form whose email holds a NUL
    client = Client(raise_request_exception=False)
    # when it is posted as multipart/form-data
    response = client.post(
        "/accounts/signup/",
        {"email": "nul\x00@example.com", "password1": "x", "password2": "x"},
        content_type=MULTIPART_CONTENT,
    )
    # then it is refused with 400
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_a_view_can_still_read_the_raw_body_after_the_form_check():
    # given a form POST (as a signed webhook might send) and a view that reads request.body
    seen: list[bytes] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request.body)
        return HttpResponse("ok")

    request = RequestFactory().post(
        "/hook/", {"event": "delivered"}, content_type=MULTIPART_CONTENT
    )
    raw = request.body
    request = RequestFactory().post(
        "/hook/", {"event": "delivered"}, content_type=MULTIPART_CONTENT
    )
    # when it passes the middleware
    response = RejectNulMiddleware(view)(request)
    # then the view read the very bytes that were sent
    assert response.status_code == 200
    assert seen == [raw]
