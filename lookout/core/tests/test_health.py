"""The health endpoint: what a load balancer and a monitoring system read, and nothing personal."""

from __future__ import annotations

import pytest

from lookout.accounts.services import create_account
from lookout.core import health


@pytest.mark.django_db
def test_healthz_reports_every_check_and_sets_no_cookie(client):
    # given a customer in the database (whose email must never appear)
    create_account(email="health.watch@example.com", password="a-long-passphrase-1")
    # when the load balancer polls the endpoint
    response = client.get("/healthz")
    # then every check passed, and the answer holds no personal data and sets no cookie
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "keystore", "cache", "master_key"}
    assert all(c["ok"] for c in body["checks"].values())
    assert "health.watch" not in response.content.decode()
    assert not response.cookies and response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_healthz_answers_503_naming_the_failing_check(client, monkeypatch):
    # given a cache that does not answer
    def broken() -> None:
        raise ConnectionError("redis://secret-host:6379 refused")

    monkeypatch.setitem(health.CHECKS, "cache", broken)
    # when the endpoint is polled
    response = client.get("/healthz")
    # then it says which check failed, by class name only (no connection string)
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {
        "ok": False,
        "ms": response.json()["checks"]["cache"]["ms"],
        "error": "ConnectionError",
    }
    assert "secret-host" not in response.content.decode()


@pytest.mark.django_db
def test_healthz_prometheus_format(client):
    response = client.get("/healthz", {"format": "prometheus"})
    text = response.content.decode()
    assert response.status_code == 200
    assert 'lookout_up{check="database"} 1' in text
    assert "lookout_page_cache_hit_total" in text


@pytest.mark.django_db
def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405
