"""The figures of the trend reports (C3.4): what each counts, and the line between a group big
enough to show and one that is suppressed. One small shop, its figures worked out by hand."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lookout.accounts.services import create_account
from lookout.analytics import reports, services
from lookout.analytics.reports import Suppressed
from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.catalog.tests import factories
from lookout.orders.demo import ensure_partners
from lookout.orders.testing import place
from lookout.policies.initial import ensure_initial_versions
from lookout.testing.staff import client_past_second_factor

# Transactional: the reports read through the replica connection, which sees committed data
# (and the orders placed write audit entries, which the flush after each test must remove).
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("audit_triggers_suspended"),
    pytest.mark.commitment("C3.4"),
]
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0.0.0 Safari/537.36"
K = 5  # LOOKOUT_ANALYTICS_MIN_GROUP in settings.py
HIDDEN = Suppressed(K)


def _event(visitor: int, kind: str, sku: str, *, days_ago: int = 0) -> None:
    """Visitor number `visitor` (a network of their own, no consent) sends one event."""
    services.ingest(
        payload={"kind": kind, "path": f"/p/{sku.lower()}/", "sku": sku},
        ip=f"10.0.{visitor}.1",
        user_agent=CHROME,
        host="testserver",
        now=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def shop(settings):
    """Locks: L1 (on sale) seen by visitors 1-5 (visitor 1 twice) and added to the cart by all
    five, 5 orders; L2 (on sale) seen by visitors 4-7. Doorbells: D1 (full price) seen by
    visitors 30-35, never added or ordered. Visitors 20-29 saw L1 40 days ago."""
    settings.LOOKOUT_ANALYTICS_MIN_GROUP = K
    ensure_partners()
    ensure_initial_versions()
    locks = factories.category(slug="locks", name="Locks")
    doorbells = factories.category(slug="doorbells", name="Doorbells")
    l1 = factories.product(name="Lock One", category=locks)
    l2 = factories.product(name="Lock Two", category=locks)
    d1 = factories.product(name="Bell One", category=doorbells, price=Decimal("100.00"))
    for visitor in (1, 1, 2, 3, 4, 5):
        _event(visitor, "view", l1.sku)
    for visitor in (1, 2, 3, 4, 5):
        _event(visitor, "cart_add", l1.sku)
    for visitor in (4, 5, 6, 7):
        _event(visitor, "view", l2.sku)
    for visitor in range(30, 36):
        _event(visitor, "view", d1.sku)
    for visitor in range(20, 30):
        _event(visitor, "view", l1.sku, days_ago=40)
    for _ in range(5):
        place(l1)
    return l1, l2, d1


def test_a_product_seen_by_exactly_k_people_is_shown_and_one_seen_by_fewer_is_not(shop):
    l1, l2, d1 = shop
    rows = {row[0]: row for row in reports.products(since=reports.since(30)).rows}
    # L1: 6 views by 5 people (k), all 5 added it, 5 orders: 100 % of its viewers ordered
    assert rows[l1.sku][4:] == [6, 5, 5, 5, Decimal("100.0")]
    # L2: 4 people, one fewer than k: every figure is suppressed
    assert rows[l2.sku][4:] == [HIDDEN] * 5
    # D1: 6 people, nobody added or ordered it: those figures rest on no one, and are hidden
    assert rows[d1.sku][4:] == [6, 6, HIDDEN, HIDDEN, HIDDEN]
    # most viewed first; old visits (40 days ago) are outside the period
    assert [row[0] for row in reports.products(since=reports.since(30)).rows][:1] == [d1.sku]


def test_a_category_counts_each_person_once_across_its_products(shop):
    table = reports.categories(since=reports.since(30))
    rows = {row[0]: row[1:] for row in table.rows}
    # Locks: visitors 1-7 viewed (4 and 5 saw both locks), 1-5 added, 5 orders: 5/7 converted
    assert rows["Locks"] == [7, 5, 5, Decimal("71.4")]
    assert rows["Doorbells"] == [6, HIDDEN, HIDDEN, HIDDEN]


def test_discount_bands_group_products_by_how_much_they_are_reduced(shop):
    table = reports.discounts(since=reports.since(30))
    rows = {row[0]: row[1:] for row in table.rows}
    assert rows["No discount"] == [6, HIDDEN, HIDDEN, HIDDEN]  # D1 at full price
    assert rows["20-29%"] == [7, 5, 5, Decimal("71.4")]  # both locks, 20 % off
    assert rows["1-9%"] == [0 if K == 0 else HIDDEN] * 4  # no product: no one to count


def test_each_grouped_csv_says_what_its_columns_are(shop):
    user = create_account(
        email="cm@example.com", password="correct-horse-battery", role="catalog_manager"
    )
    client = client_past_second_factor(user)
    for name, first in (("categories", "Category"), ("discounts", "Discount")):
        response = client.get(f"/analytics/reports/{name}.csv?days=30")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == [first, "Viewers", "Add-to-cart visitors", "Orders", "Conversion %"]
        assert ["Locks" if name == "categories" else "20-29%", "7", "5", "5", "71.4"] in rows
    page = client.get("/analytics/reports/?days=30").content.decode()
    assert '<h2 id="t-categories">Categories</h2>' in page
    assert '<h2 id="t-discounts">Discount depth vs conversion</h2>' in page
