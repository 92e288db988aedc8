"""Public policy pages: every version readable with its dates and a comparison (C8.1), new
versions announced (C8.2), no account needed (C2.6), no raw HTML from the text."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.test import Client
from freezegun import freeze_time

from lookout.policies.services import publish_version

from .conftest import NEW_PRIVACY

POSTED = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


def _main(response) -> str:  # type: ignore[no-untyped-def]
    return response.text.split('<main id="main">', 1)[1]


@pytest.mark.commitment("C1.4", "C2.6")
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/policies/privacy/", "Privacy Policy"),
        ("/policies/shipping/", "Shipping Policy"),
        ("/policies/refund/", "Refund Policy"),
    ],
)
def test_each_policy_is_its_own_public_page(path: str, heading: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.text
    assert "Version 1" in response.text and "in force since 1 September 2026" in response.text


@pytest.mark.django_db
def test_the_shipped_texts_keep_the_store_promises() -> None:
    shipping = Client().get("/policies/shipping/").text
    refund = Client().get("/policies/refund/").text
    assert "USD 0.00" in shipping and "1\u20133 business days" in shipping
    assert "60 days after it was delivered" in refund and "5\u201310 business days" in refund


@pytest.mark.commitment("C8.1")
@pytest.mark.django_db
def test_every_version_stays_readable_with_its_effective_date() -> None:
    # Given privacy version 2, taking effect on 10 March
    with freeze_time(POSTED):
        publish_version(document="privacy", text=NEW_PRIVACY, effective_on=date(2027, 3, 10))
    client = Client()
    with freeze_time("2027-03-20"):
        # When a visitor opens the archive and the old version
        archive = client.get("/policies/privacy/versions/")
        old = client.get("/policies/privacy/v1/")
        current = client.get("/policies/privacy/")
    # Then both versions are listed with their effective dates, and version 1 is still readable
    assert archive.status_code == 200
    assert "Version 2" in archive.text and "10 March 2027" in archive.text
    assert "Version 1" in archive.text and "1 September 2026" in archive.text
    assert old.status_code == 200 and "replaced by a later version" in old.text
    assert "first three parts of an IPv4 address" in current.text
    assert "first three parts of an IPv4 address" not in old.text


@pytest.mark.commitment("C8.1")
@pytest.mark.django_db
@pytest.mark.parametrize("layout", ["side", "inline"])
def test_the_comparison_shows_what_was_removed_and_added(layout: str) -> None:
    with freeze_time(POSTED):
        publish_version(document="privacy", text=NEW_PRIVACY, summary="IP truncation explained.")
    response = Client().get(f"/policies/privacy/v2/changes/?layout={layout}")
    assert response.status_code == 200
    page = _main(response)
    assert "what changed from version 1 to version 2" in page
    assert "IP truncation explained." in page
    assert "<ins>" in page and "first three parts" in page.split("<ins>", 1)[1]
    assert "1 line removed, 1 added" in page


@pytest.mark.commitment("C8.1")
@pytest.mark.django_db
def test_any_version_can_be_compared_with_any_earlier_one() -> None:
    with freeze_time(POSTED):
        publish_version(document="refund", text="# Refund Policy\n\nOne.")
        publish_version(document="refund", text="# Refund Policy\n\nTwo.")
    client = Client()
    response = client.get("/policies/refund/v3/changes/?against=1&full=1")
    assert response.status_code == 200
    assert "from version 1 to version 3" in response.text
    assert "60-day free returns" in response.text  # the whole old text is shown


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/policies/cookies/", 404),
        ("/policies/privacy/v9/", 404),
        ("/policies/privacy/v9/changes/", 404),
        ("/policies/privacy/v1/changes/", 302),
        ("/policies/privacy/v1/changes/?against=1", 400),
        ("/policies/privacy/v1/changes/?against=x", 400),
        ("/policies/privacy/v1/changes/?layout=%3Cscript%3E", 302),
    ],
)
def test_bad_addresses_get_a_clear_answer(path: str, status: int) -> None:
    response = Client().get(path)
    assert response.status_code == status
    assert "<script>" not in response.text.split("</head>", 1)[-1].replace(
        '<script src="/static/lookout/htmx.min.js"', ""
    )


@pytest.mark.django_db
def test_a_bad_layout_is_refused() -> None:
    with freeze_time(POSTED):
        publish_version(document="refund", text="# Refund Policy\n\nOne.")
    response = Client().get("/policies/refund/v2/changes/?layout=fancy")
    assert response.status_code == 400
    assert "side or inline" in response.text


@pytest.mark.commitment("C8.2")
@pytest.mark.django_db
def test_a_new_version_is_announced_on_the_policy_pages_while_it_is_news() -> None:
    # Given a shipping version posted on 1 March
    with freeze_time(POSTED):
        publish_version(document="shipping", text="# Shipping Policy\n\nStill free.")
    client = Client()
    # When a visitor opens any policy page two days later, then the banner announces it
    with freeze_time("2027-03-03"):
        for path in ("/policies/", "/policies/privacy/", "/policies/refund/versions/"):
            page = _main(client.get(path))
            assert 'class="policy-banner"' in page, path
            assert "our Shipping Policy was updated on 1 March 2027" in page
            assert "/policies/shipping/v2/changes/" in page
    # And after the announcement period it is no longer news
    with freeze_time("2027-04-01"):
        assert 'class="policy-banner"' not in client.get("/policies/shipping/").text


@pytest.mark.commitment("C8.2", "C8.4")
@pytest.mark.django_db
def test_a_coming_material_change_is_announced_until_it_takes_effect() -> None:
    with freeze_time(POSTED):
        publish_version(
            document="privacy",
            text=NEW_PRIVACY,
            summary="Less.",
            material=True,
            effective_on=date(2027, 5, 1),
        )
    with freeze_time("2027-04-20"):  # more than 30 days after posting, still pending
        page = _main(Client().get("/policies/privacy/"))
    assert "Coming 1 May 2027:" in page and "with important changes" in page
    assert "A new version takes effect on 1 May 2027" in page


@pytest.mark.django_db
def test_raw_html_in_a_policy_text_is_shown_not_run() -> None:
    with freeze_time(POSTED):
        publish_version(
            document="refund",
            text='# Refund Policy\n\n<script>alert("x")</script>\n\n[click](javascript:alert(1))',
        )
        page = _main(Client().get("/policies/refund/"))
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert 'href="javascript:' not in page
