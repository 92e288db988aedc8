"""Trend reports: staff only, and every figure resting on fewer than k visitors is suppressed
in the page and in the CSV export (C3.4)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from lookout.accounts.services import create_account
from lookout.analytics import services
from lookout.catalog.tests import factories
from lookout.testing.staff import client_past_second_factor

# Transactional: reports read through the replica connection (lookout.core.replica; in tests, a
# second connection to the test database), which sees committed data only, as a replica does.
pytestmark = pytest.mark.django_db(transaction=True)
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0.0.0 Safari/537.36"


def _visits(n: int, *, first: int = 1, **event: object) -> None:
    """`n` different visitors (different networks, no consent) send `event`."""
    for i in range(first, first + n):
        services.ingest(payload=event, ip=f"10.0.{i}.1", user_agent=CHROME, host="testserver")


def _staff(role: str, *, verified: bool = True) -> Client:
    email = f"{role}-{'v' if verified else 'u'}@example.com"
    user = create_account(email=email, password="correct-horse-battery", role=role)
    if verified:
        return client_past_second_factor(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def traffic():
    """Product A seen by 4 people, product B by 6 (2 of whom added it to the cart); a search
    without results by 5 people and another by 4."""
    a = factories.product(name="Alpha Cam")
    b = factories.product(name="Bravo Cam")
    _visits(4, kind="view", path=f"/p/{a.slug}/", sku=a.sku)
    _visits(6, first=20, kind="view", path=f"/p/{b.slug}/", sku=b.sku)
    _visits(2, first=20, kind="cart_add", path=f"/p/{b.slug}/", sku=b.sku)
    _visits(5, first=40, kind="search", path="/search/", q="thermal", results=0)
    _visits(4, first=60, kind="search", path="/search/", q="lidar", results=0)
    return a, b


def _row(html: str, text: str) -> str:
    match = re.search(rf"<tr><td>[^<]*</td><td>{text}</td>(.*?)</tr>", html, re.S)
    assert match, text
    return match.group(1)


@pytest.mark.commitment("C3.4")
def test_small_groups_are_suppressed_in_the_page(traffic):
    html = _staff("catalog_manager").get("/analytics/reports/").content.decode()
    alpha = _row(html, "Alpha Cam")
    assert ">4<" not in alpha and alpha.count("suppressed (&lt;5)") == 5
    bravo = _row(html, "Bravo Cam")
    assert "<td>6</td>" in bravo  # views and viewers
    assert "suppressed (&lt;5)" in bravo  # 2 add-to-cart visitors
    assert "thermal" in html and "lidar" not in html
    assert "<svg" in html and "http" not in html.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", ""
    )


@pytest.mark.commitment("C3.4")
def test_small_groups_are_suppressed_in_every_csv(traffic):
    client = _staff("administrator")
    text = ""
    for name in ("products", "categories", "discounts", "searches", "devices"):
        response = client.get(f"/analytics/reports/{name}.csv")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        text += response.content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    alpha = next(r for r in rows if "Alpha Cam" in r)
    assert alpha[4:] == ["suppressed (<5)"] * 5
    assert not any("lidar" in cell for r in rows for cell in r)
    assert any(r[:2] == ["thermal", "5"] for r in rows)


@pytest.mark.commitment("C3.4")
def test_the_threshold_is_configurable(traffic, settings):
    settings.LOOKOUT_ANALYTICS_MIN_GROUP = 3
    html = _staff("catalog_manager").get("/analytics/reports/").content.decode()
    assert "<td>4</td>" in _row(html, "Alpha Cam") and "lidar" in html
    settings.LOOKOUT_ANALYTICS_MIN_GROUP = 10
    html = _staff("administrator").get("/analytics/reports/").content.decode()
    assert "<td>6</td>" not in _row(html, "Bravo Cam") and "thermal" not in html


@pytest.mark.commitment("C3.4", "C4.3")
@pytest.mark.parametrize(
    "who, status",
    [
        ("anonymous", 404),
        ("customer", 404),
        ("warehouse", 404),
        ("privacy_officer", 404),
        ("catalog_manager", 200),
        ("administrator", 200),
    ],
)
def test_only_catalog_managers_and_administrators_see_reports(traffic, who, status):
    if who == "anonymous":
        client = Client()
    elif who == "customer":
        client = Client()
        client.force_login(create_account(email="c@example.com", password="correct-horse-battery"))
    else:
        client = _staff(who)
    assert client.get("/analytics/reports/").status_code == status
    assert client.get("/analytics/reports/products.csv").status_code == status


def test_staff_without_second_factor_is_sent_to_it_and_bad_periods_are_refused(traffic):
    response = _staff("catalog_manager", verified=False).get("/analytics/reports/")
    assert response.status_code == 302 and "/accounts/otp/" in response["Location"]
    client = _staff("catalog_manager")
    for days in ("0", "91", "abc"):
        bad = client.get(f"/analytics/reports/?days={days}")
        assert bad.status_code == 400 and "1 to 90 days" in bad.content.decode()
    assert client.get("/analytics/reports/nothing.csv").status_code == 404
