"""Anonymisation at ingestion (C2.4): what the beacon receives vs what the database keeps."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import models
from django.test import Client
from django.utils import timezone

from lookout.analytics import anonymise, services, visitors
from lookout.analytics.models import DailyRollup, DailySalt, Event
from lookout.consent.cookies import CONSENT_COOKIE, VISITOR_COOKIE
from lookout.consent.models import ConsentReceipt
from lookout.consent.services import cookie_value
from lookout.core.client_ip import parse_trusted_proxies
from lookout.testing.raw import raw_database_bytes

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36 UniqueMarker/9.9"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


def _beacon(client: Client, *events: dict, **extra: Any):
    return client.post(
        "/analytics/beacon",
        json.dumps({"events": list(events)}),
        content_type="text/plain",
        **extra,
    )


@pytest.mark.commitment("C2.4")
@pytest.mark.parametrize(
    "address, network",
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:abcd:12:3456:789a:bcde:f012", "2001:db8:abcd::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("not an ip", ""),
        ("", ""),
    ],
)
def test_ip_addresses_are_cut_to_their_network(address, network):
    assert anonymise.truncate_ip(address) == network


@pytest.mark.commitment("C2.4")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "address, network",
    [("203.0.113.77", "203.0.113.0/24"), ("2001:db8:abcd:12::beef", "2001:db8:abcd::/48")],
)
def test_the_database_never_holds_the_full_ip_or_the_user_agent(address, network):
    client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=CHROME)
    # when a page view and a search arrive
    response = _beacon(
        client,
        {"kind": "view", "path": "/p/kestrel-cam/", "sku": "KS-1", "ref": "http://testserver/"},
        {"kind": "search", "path": "/search/", "q": "ann@example.com doorbell 555", "results": 0},
    )
    assert response.status_code == 204
    # then the stored bytes hold the network and browser family, not the address or UA string
    stored = raw_database_bytes()
    assert address.encode() not in stored
    assert b"UniqueMarker" not in stored and b"X11; Linux" not in stored
    assert b"ann@example.com" not in stored
    view, search = Event.objects.order_by("id")
    assert (view.network, view.device_class, view.browser_family, view.browser_major) == (
        network,
        "desktop",
        "Chrome",
        "140",
    )
    assert view.referrer_path == "/" and view.sku == "KS-1"
    assert search.search_terms == "doorbell" and search.results == 0


@pytest.mark.commitment("C2.4")
def test_no_analytics_column_can_hold_an_account_order_or_full_address():
    allowed = {
        "id", "kind", "path", "referrer_path", "sku", "search_terms", "results",
        "dwell_seconds", "device_class", "browser_family", "browser_major", "network",
        "visitor", "linked", "occurred_at",
    }  # fmt: skip
    assert {f.name for f in Event._meta.get_fields()} == allowed
    ours: tuple[type[models.Model], ...] = (Event, DailySalt, DailyRollup)
    for model in ours:
        for field in model._meta.get_fields():
            assert not field.is_relation, f"{model.__name__}.{field.name} joins another table"
            assert not any(w in field.name for w in ("user", "email", "order", "ip", "agent"))
    # ... and nothing in the project points at analytics either
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.ForeignKey | models.OneToOneField):
                assert field.related_model._meta.app_label != "analytics", model


@pytest.mark.commitment("C2.4")
@pytest.mark.django_db
def test_paths_lose_tokens_and_account_urls_collapse():
    client = Client(HTTP_USER_AGENT=IPHONE)
    token = "Zq9" + "x" * 40
    _beacon(
        client,
        {"kind": "view", "path": f"/cart/{token}/?cart={token}"},
        {"kind": "view", "path": "/accounts/password/reset/mq/c4x5b6-7a8b9c0d1e2f3a4b/"},
        {"kind": "view", "path": "/p/kestrel-outdoor-2k/", "ref": f"http://evil.example/{token}"},
    )
    paths = list(Event.objects.order_by("id").values_list("path", "referrer_path", "device_class"))
    assert paths == [
        ("/cart/_/", "", "mobile"),
        ("/accounts/", "", "mobile"),
        ("/p/kestrel-outdoor-2k/", "", "mobile"),
    ]


def _analytics_only() -> str:
    """The consent cookie the store writes for a visitor who allowed analytics only."""
    return cookie_value(receipt=ConsentReceipt(analytics=True, marketing=False))


@pytest.mark.commitment("C2.4")
@pytest.mark.django_db
def test_visits_are_linked_only_with_analytics_consent():
    cookie = "r4nd0m-visitor-cookie-value"
    consented = Client(HTTP_USER_AGENT=CHROME)
    consented.cookies[CONSENT_COOKIE] = _analytics_only()
    consented.cookies[VISITOR_COOKIE] = cookie
    sneaky = Client(HTTP_USER_AGENT=CHROME)  # a visitor cookie but no consent: ignored
    sneaky.cookies[VISITOR_COOKIE] = cookie
    gpc = Client(HTTP_USER_AGENT=CHROME, HTTP_SEC_GPC="1")
    gpc.cookies[CONSENT_COOKIE] = _analytics_only()
    gpc.cookies[VISITOR_COOKIE] = cookie
    for client in (consented, sneaky, gpc):
        _beacon(client, {"kind": "view", "path": "/"})
    linked = list(Event.objects.order_by("id").values_list("linked", flat=True))
    assert linked == [True, False, False]
    assert not Event.objects.filter(visitor__contains=cookie).exists()


@pytest.mark.commitment("C2.4", "C4.6")
@pytest.mark.django_db
def test_daily_hash_rotates_and_its_salt_is_deleted_the_next_day():
    # given: no salt remembered by this process from an earlier test, whose database rows were
    # rolled back: the test makes its own salts, so its outcome does not depend on test order
    visitors.forget_cached_salts()
    now = timezone.now()
    args: dict[str, Any] = {
        "payload": {"kind": "view", "path": "/"},
        "ip": "203.0.113.5",
        "user_agent": CHROME,
    }
    services.ingest(**args, host="testserver", now=now)
    services.ingest(**args, host="testserver", now=now)
    services.ingest(**args, host="testserver", now=now + timedelta(days=1))
    first, again, tomorrow = Event.objects.order_by("id").values_list("visitor", flat=True)
    assert first == again != tomorrow
    assert set(DailySalt.objects.values_list("day", flat=True)) == {
        now.date(),
        (now + timedelta(days=1)).date(),
    }
    # when: the daily job runs the day after
    services.run_daily(now=now + timedelta(days=1))
    # then: yesterday's salt is gone, and the same visitor that day can no longer be hashed
    # to the value stored for them
    assert list(DailySalt.objects.values_list("day", flat=True)) == [
        (now + timedelta(days=1)).date()
    ]
    services.ingest(**args, host="testserver", now=now)
    recomputed = Event.objects.order_by("-id").values_list("visitor", flat=True).first()
    assert recomputed not in {first, tomorrow}


@pytest.mark.commitment("C4.6")
@pytest.mark.django_db
def test_raw_events_are_rolled_up_then_purged_after_ninety_days():
    old = timezone.now() - timedelta(days=91)
    for ip in ("203.0.113.1", "203.0.113.1", "198.51.100.3"):
        services.ingest(
            payload={"kind": "view", "path": "/c/locks/"}, ip=ip, user_agent=CHROME,
            host="testserver", now=old,
        )  # fmt: skip
    services.ingest(
        payload={"kind": "view", "path": "/"}, ip="203.0.113.1", user_agent=CHROME,
        host="testserver",
    )  # fmt: skip
    assert services.roll_up(day=old.date()) == 1
    assert services.roll_up(day=old.date()) == 1  # idempotent
    rollup = DailyRollup.objects.get()
    assert (rollup.events, rollup.visitors, rollup.path) == (3, 2, "/c/locks/")
    result = services.purge_expired()
    assert result["events"] == 3 and Event.objects.count() == 1
    assert DailyRollup.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, extra, status, message",
    [
        ("not json", {}, 400, "JSON"),
        (json.dumps({"events": [{"kind": "view", "path": "/"}] * 21}), {}, 400, "between 1 and"),
        (json.dumps({"kind": "hack", "path": "/"}), {}, 400, "Unknown event kind"),
        (json.dumps({"kind": "view", "path": "http://x/"}), {}, 400, "path"),
        (json.dumps({"kind": "dwell", "path": "/p/a/"}), {}, 400, "seconds"),
        (json.dumps([]), {}, 400, "between 1 and"),
        ("x" * 9000, {}, 413, "at most"),
        (
            json.dumps({"kind": "view", "path": "/"}),
            {"HTTP_SEC_FETCH_SITE": "cross-site"},
            403,
            "own pages",
        ),
    ],
)
def test_bad_beacons_get_a_clear_4xx_and_write_nothing(body, extra, status, message):
    response = Client(HTTP_USER_AGENT=CHROME).post(
        "/analytics/beacon", body, content_type="application/json", **extra
    )
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_robots_are_not_counted_and_get_requests_are_refused():
    bot = Client(HTTP_USER_AGENT="Googlebot/2.1 (+http://www.google.com/bot.html)")
    response = _beacon(bot, {"kind": "view", "path": "/"})
    assert response.status_code == 204 and Event.objects.count() == 0
    assert Client().get("/analytics/beacon").status_code == 405


@pytest.mark.commitment("C2.4")
@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_network_kept_is_the_forwarded_clients(settings):
    # given a trusted proxy
    settings.LOOKOUT_TRUSTED_PROXIES = parse_trusted_proxies("10.0.0.5")
    view = {"kind": "view", "path": "/"}
    # when two visitors' beacons come through it (one forging a left entry), and a client
    # reaching the app directly forges the header
    for remote, forwarded in [
        ("10.0.0.5", "192.0.2.1, 198.51.100.77"),
        ("10.0.0.5", "2001:db8:abcd:12::beef"),
        ("203.0.113.77", "192.0.2.1"),
    ]:
        client = Client(REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded, HTTP_USER_AGENT=CHROME)
        assert _beacon(client, view).status_code == 204
    # then each is kept under its own visitor's network, never the proxy's nor a forged one
    assert list(Event.objects.order_by("id").values_list("network", flat=True)) == [
        "198.51.100.0/24",
        "2001:db8:abcd::/48",
        "203.0.113.0/24",
    ]
