"""Two `lookout serve --with-worker` processes on one PostgreSQL and one Redis take concurrent
checkouts (some with the same idempotency key sent to both at once) while the master key is
rotated and retention runs: no order, payment, message or disclosure is lost or duplicated, stock
goes down once per unit sold, every data key ends up under the new primary and still opens, and
the audit chain verifies.

Why over HTTP against real processes: row locks, unique indexes and the task queue only prove
"nothing assumes one process" when there really are several processes racing.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from lookout.testing.ports import free_port
from sandbox_processor.shopper import future_expiry
from tests.scale.conftest import Site

CARTS = 24
TWIN_EVERY = 3  # every third cart's checkout goes to both servers at the same moment
RETRY_EVERY = 4  # every fourth (other) cart's checkout is retried on the other server
PAY_EVERY = 2  # every second order is paid; its card and return page also hit both servers
REWRAP_WAIT = 30.0
LATE_RETRY = 7
HTTP_TIMEOUT = 30.0
PUBLIC_HOST = "localhost"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _lower(headers: Any) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def http(
    method: str, url: str, body: dict[str, Any] | bytes | None = None, *, shopper: int = -1
) -> tuple[int, Any, dict[str, str]]:
    """(status, JSON body or text, headers); never raises on an HTTP status. `shopper`: the
    request comes from that shopper's own address, as the trusted local proxy tells it (one
    visitor may hold only a few unpaid orders at once: each cart is another shopper)."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
    # One public name for both servers, as behind the reverse proxy of a real deployment.
    request.add_header("Host", PUBLIC_HOST)
    if shopper >= 0:
        request.add_header("X-Forwarded-For", f"10.9.{shopper // 250}.{shopper % 250 + 1}")
    if isinstance(body, dict):
        request.add_header("Content-Type", "application/json")
    elif body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with _opener.open(request, timeout=HTTP_TIMEOUT) as answer:
            status, raw, headers = answer.status, answer.read(), _lower(answer.headers)
    except urllib.error.HTTPError as error:
        status, raw, headers = error.code, error.read(), _lower(error.headers)
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text), headers
    except ValueError:
        return status, text, headers


def delivery(i: int) -> dict[str, str]:
    return {
        "country": "US",
        "name": f"Scale Buyer {i}",
        "street_address": f"{100 + i} Main Street",
        "city": "Mountain View",
        "country_area": "CA",
        "postal_code": "94043",
        "email": f"scale.buyer.{i}@example.com",
    }


def fingerprint(name: str, email: str) -> str:
    """Compared instead of plaintext, so the test output never carries the values."""
    return hashlib.sha256(f"{name}|{email}".encode()).hexdigest()


def kept_order(status: int, body: Any) -> str:
    """The order number an answer names: a 201's, or the one a 503 says is kept."""
    if status == 201:
        return str(body["number"])
    found = (
        re.search(r"Order (LK-[A-Z0-9]+) is kept", body.get("detail", ""))
        if status == 503
        else None
    )
    return found[1] if found else f"<{status}: {body}>"


@dataclass
class Cart:
    index: int
    token: str
    key: str
    lines: dict[str, int]
    answers: list[tuple[int, Any]] = field(default_factory=list)


def at_once(*calls: Any) -> list[Any]:
    """Run the calls in threads released by one barrier: the requests leave together."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(n: int) -> None:
        barrier.wait(timeout=HTTP_TIMEOUT)
        results[n] = calls[n]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * HTTP_TIMEOUT)
    return results


def open_cart(server: str, i: int, skus: list[str]) -> Cart:
    status, body, _ = http("POST", server + "/api/v1/cart")
    assert status == 201, body
    lines = {skus[i % len(skus)]: 1 + i % 2, skus[(i + 1) % len(skus)]: 1}
    for sku, quantity in lines.items():
        status, body_, _ = http(
            "POST",
            f"{server}/api/v1/cart/{body['token']}/items",
            {"sku": sku, "quantity": quantity},
        )
        assert status == 200, body_
    return Cart(index=i, token=body["token"], key=f"scale-{i:03d}-{body['token'][:8]}", lines=lines)


def checkout(cart: Cart, servers: list[str]) -> None:
    order = {"cart": cart.token, "idempotency_key": cart.key, "delivery": delivery(cart.index)}

    def post(server: str) -> Any:
        return lambda: http("POST", server + "/api/v1/checkout/orders", order, shopper=cart.index)[
            :2
        ]

    if cart.index == LATE_RETRY:  # a retry after the clock moved on to the next second
        cart.answers.append(post(servers[0])())
        time.sleep(1.05 - time.time() % 1)
        cart.answers.append(post(servers[1])())
    elif cart.index % TWIN_EVERY == 0:
        cart.answers.extend(at_once(post(servers[0]), post(servers[1])))
    else:
        first = servers[cart.index % 2]
        cart.answers.append(post(first)())
        if cart.index % RETRY_EVERY == 1:  # a client retrying after a timeout, elsewhere
            cart.answers.append(post(servers[(cart.index + 1) % 2])())


def pay(cart: Cart, servers: list[str]) -> tuple[list[int], list[int]]:
    """Card submitted on both servers at once, then the return page loaded on both at once."""
    payment_url = next(body["payment_url"] for status, body in cart.answers if status == 201)
    path = urlsplit(payment_url).path
    path = path[path.index("/sandbox-processor/") :]
    form = urlencode(
        {"number": "4242 4242 4242 4242", "expiry": future_expiry(), "cvc": "123", "action": "pay"}
    ).encode()
    cards = at_once(
        *(lambda s=s: http("POST", s + path, form, shopper=cart.index) for s in servers)
    )
    locations = [headers["location"] for status, _, headers in cards if status == 303]
    assert len(locations) == 1, [status for status, _, _ in cards]
    back = urlsplit(locations[0])
    assert back.path.startswith("/checkout/return/"), locations
    returned = at_once(
        *(
            lambda s=s: http("GET", f"{s}{back.path}?{back.query}", shopper=cart.index)
            for s in servers
        )
    )
    return [status for status, _, _ in cards], [status for status, _, _ in returned]


def primary_and_pending(site: Site) -> tuple[int, int]:
    out = site.lookout("keys", "status")
    primary = re.search(r"Primary master key: (\d+)", out)
    pending = re.search(r"waiting to be re-wrapped: (\d+)", out)
    assert primary and pending, out
    return int(primary[1]), int(pending[1])


REVEAL_SCRIPT = """
import hashlib, json
from lookout.access.gate import reveal
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.orders.models import Delivery
out = {"deliveries": {}, "messages_opened": 0}
for d in Delivery.objects.select_related("order"):
    v = reveal(d, ["name", "email"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)
    out["deliveries"][d.order.number] = hashlib.sha256(
        f"{v['name']}|{v['email']}".encode()).hexdigest()
for m in Message.objects.all():
    v = reveal(m, ["title", "body"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)
    out["messages_opened"] += bool(v["title"] and v["body"])
print("RESULT " + json.dumps(out))
"""


@dataclass
class Run:
    site: Site
    servers: list[str]
    carts: list[Cart]
    skus: list[str]
    stock_before: dict[str, int]
    primary_before: int
    paid: list[Cart]
    payments: list[tuple[list[int], list[int]]]
    numbers: dict[int, str]


@pytest.fixture(scope="module")
def run(scale_site: Site) -> Run:
    """The whole scenario, once: the tests below each check one promise about its outcome."""
    # given two servers, each with its own task worker and scheduler, on one database and Redis
    site = scale_site
    ports = [free_port()]
    while len(ports) < 2:
        ports += [port for port in [free_port()] if port not in ports]
    with ThreadPoolExecutor(max_workers=1) as ops:
        # the primary master key before anything rotates it, read while the servers start
        before = ops.submit(primary_and_pending, site)
        servers = site.serve(*ports)
        primary_before, _ = before.result(timeout=60)
    stock = site.query("SELECT sku, stock FROM catalog_product ORDER BY stock DESC, sku LIMIT 3")
    skus = [sku for sku, _ in stock]
    with ThreadPoolExecutor(max_workers=12) as pool:
        carts = list(
            pool.map(lambda i: open_cart(servers[i % 2], i, skus), range(CARTS), timeout=60)
        )

    # when the carts check out across both servers, in two waves, while the master key is
    # rotated and retention runs from the command line
    with ThreadPoolExecutor(max_workers=12) as pool, ThreadPoolExecutor(max_workers=2) as ops:
        first = [pool.submit(checkout, c, servers) for c in carts[: CARTS // 2]]
        rotate = ops.submit(site.lookout, "keys", "rotate")
        retention = ops.submit(site.lookout, "retention", "run")
        second = [pool.submit(checkout, c, servers) for c in carts[CARTS // 2 :]]
        for future in [*first, *second]:
            future.result(timeout=60)
        assert "New primary master key" in rotate.result(timeout=60)
        retention.result(timeout=60)
    numbers = {c.index: kept_order(*c.answers[0]) for c in carts}

    # and every second order is paid, its card and return page sent to both servers at once
    paid = [c for c in carts if c.index % PAY_EVERY == 0]
    with ThreadPoolExecutor(max_workers=6) as pool:
        payments = list(pool.map(lambda c: pay(c, servers), paid, timeout=60))
    return Run(site, servers, carts, skus, dict(stock), primary_before, paid, payments, numbers)


def test_every_cart_becomes_one_order_with_one_payment_and_stock_taken_once(run: Run) -> None:
    # then every answer about one cart names the same order, and no two carts share one
    for cart in run.carts:
        named = {kept_order(status, body) for status, body in cart.answers}
        assert named == {run.numbers[cart.index]}, cart.answers
        assert any(status == 201 for status, _ in cart.answers), cart.answers
    assert len(set(run.numbers.values())) == CARTS

    # and the database holds exactly one order per cart, none per key twice
    orders = run.site.query("SELECT id, number, cart_id, idempotency_key, status FROM orders_order")
    assert sorted(number for _, number, *_ in orders) == sorted(run.numbers.values())
    assert len({cart_id for _, _, cart_id, _, _ in orders}) == CARTS
    assert len({key for *_, key, _ in orders}) == CARTS
    status_of = {number: status for _, number, _, _, status in orders}
    for cart in run.carts:
        wanted = "paid" if cart.index % PAY_EVERY == 0 else "placed"
        assert status_of[run.numbers[cart.index]] == wanted, cart.index

    # and each card was taken once, and the return page loaded on both servers
    for card_statuses, return_statuses in run.payments:
        assert sorted(card_statuses) == [303, 409], card_statuses
        assert return_statuses == [200, 200], return_statuses

    # and there is one payment per order, authorised once for each paid order
    payment_rows = run.site.query("SELECT order_ref, status FROM payments_payment")
    assert Counter(ref for ref, _ in payment_rows) == Counter(oid for oid, *_ in orders)
    assert sum(status == "authorized" for _, status in payment_rows) == len(run.paid)

    # and stock went down exactly once per unit sold
    sold: Counter[str] = Counter()
    for cart in run.carts:
        sold.update(cart.lines)
    lines = run.site.query("SELECT sku, SUM(quantity) FROM orders_orderline GROUP BY sku")
    assert Counter({sku: int(n) for sku, n in lines}) == sold
    after = dict(
        run.site.query("SELECT sku, stock FROM catalog_product WHERE sku = ANY(%s)", run.skus)
    )
    assert {sku: run.stock_before[sku] - after[sku] for sku in run.skus} == dict(sold)


def test_no_inbox_message_or_disclosure_is_duplicated(run: Run) -> None:
    orders = run.site.query("SELECT id, number, status FROM orders_order")
    # then no inbox message was sent twice: one "placed" per order, one "paid" per paid order
    dedupe = Counter(key for (key,) in run.site.query("SELECT dedupe_key FROM inbox_message"))
    assert not [key for key, n in dedupe.items() if key is not None and n > 1]
    for oid, number, status in orders:
        assert dedupe[f"order:{oid}:placed"] == 1, number
        assert dedupe[f"order:{oid}:paid"] == (status == "paid"), number

    # and the processor got the name no more often than checkout requests asked for the payment
    disclosed = Counter(
        dict(
            run.site.query(
                "SELECT o.number, COUNT(*) FROM sharing_disclosure s "
                "JOIN orders_delivery d ON s.target = 'orders.Delivery:' || d.id::text "
                "JOIN orders_order o ON o.id = d.order_id GROUP BY o.number"
            )
        )
    )
    for cart in run.carts:
        assert 1 <= disclosed[run.numbers[cart.index]] <= len(cart.answers), cart.index


def test_rotation_rewraps_every_key_and_everything_still_opens(run: Run) -> None:
    # then the background worker re-wraps every data key under the new primary, soon
    deadline = time.monotonic() + REWRAP_WAIT
    primary, pending = primary_and_pending(run.site)
    while pending and time.monotonic() < deadline:
        time.sleep(0.5)
        primary, pending = primary_and_pending(run.site)
    assert primary != run.primary_before
    assert pending == 0, f"{pending} data keys still under an old master key"
    rows = run.site.query("SELECT DISTINCT master_key_id FROM vault_datakey", keystore=True)
    assert {int(master_key_id) for (master_key_id,) in rows} == {primary}

    # and every delivery and inbox message still opens, with what the buyer typed
    out = run.site.lookout("shell", "-c", REVEAL_SCRIPT)
    result = json.loads(out.split("RESULT ", 1)[1])
    expected = {
        run.numbers[c.index]: fingerprint(delivery(c.index)["name"], delivery(c.index)["email"])
        for c in run.carts
    }
    assert result["deliveries"] == expected
    messages = run.site.query("SELECT COUNT(*) FROM inbox_message")[0][0]
    assert result["messages_opened"] == messages

    # and the audit chain written by both servers, both workers and the commands verifies
    run.site.lookout("audit", "verify")
    # and both servers are still healthy
    for server in run.servers:
        assert http("GET", server + "/healthz")[0] == 200


def test_a_checkout_retried_a_second_later_gets_its_payment_page(run: Run) -> None:
    # given a checkout retried with the same key after the clock moved to the next second
    late = run.carts[LATE_RETRY]
    # then the retry is answered like the first request
    assert [status for status, _ in late.answers] == [201, 201], late.answers
