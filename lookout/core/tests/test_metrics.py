"""/healthz's figures come from prometheus_client: this process's alone without a multiprocess
directory, and every process's added up with one (several granian workers, decision 0042)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from lookout.catalog import cache as page_cache
from tests.ops.conftest import REPO, clean_env

pytestmark = pytest.mark.django_db


def _series(client) -> dict[str, float]:
    """The unlabelled series of the Prometheus answer, by name (parsed as Prometheus would)."""
    response = client.get("/healthz", {"format": "prometheus"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
        if not sample.labels
    }


def test_one_process_counts_its_own_page_cache_use(client, settings):
    # given the page cache on, empty in this process (an earlier test may have left the home
    # page in its in-process copy, or a generation read long ago), and the figures before
    settings.LOOKOUT_PAGE_CACHE = True
    settings.LOOKOUT_PAGE_CACHE_POLL_SECONDS = 3600  # a warm process: the generation is known
    page_cache.local.clear()
    before = _series(client)
    # when an anonymous visitor opens the home page twice (rendered, then served from the cache)
    # and once with a query parameter the page does not read
    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/", {"utm_source": "x"}).status_code == 200
    after = _series(client)
    # then each outcome was counted once, under the names dashboards already use
    for outcome in ("miss", "hit", "stored", "bypass"):
        name = f"lookout_page_cache_{outcome}_total"
        assert after[name] - before[name] == 1, name
    assert after["lookout_uptime_seconds"] >= 0
    # and the JSON answer shows the same counters without the prefix
    figures = client.get("/healthz").json()["metrics"]
    assert figures["page_cache_hit_total"] == after["lookout_page_cache_hit_total"]
    assert set(figures) >= {
        "page_cache_miss_total",
        "analytics_events_queued",
        "analytics_events_flushed_total",
        "analytics_events_dropped_total",
        "analytics_events_flush_errors_total",
        "uptime_seconds",
    }


# A server worker, in short: the real page-cache decorator and the real analytics buffer count,
# then the process stays alive until told to leave (its gauge counts only while it lives).
WORKER = """
import sys
import django
django.setup()
from django.http import HttpResponse
from django.test import RequestFactory
from lookout.analytics.buffer import EventBuffer
from lookout.catalog.cache import cached_page

pages = int(sys.argv[1])
page = cached_page()(lambda request: HttpResponse("ok"))
for _ in range(pages):
    page(RequestFactory().get("/", {"utm_source": "x"}))  # a parameter no page reads: bypass
# a queue of one: one event waits, the others are dropped
EventBuffer(lambda rows: None, max_queued=1, autostart=False).add([(n,) for n in range(pages)])
print("counted", flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[tuple[Path, list[subprocess.Popen[str]]]]:
    """Two worker processes sharing one multiprocess directory, 3 and 4 pages counted."""
    directory = tmp_path / "metrics"
    directory.mkdir()
    env = clean_env(tmp_path, LOOKOUT_ENV="test", PROMETHEUS_MULTIPROC_DIR=str(directory))
    started = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(pages)],
            env=env,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for pages in (3, 4)
    ]
    try:
        for process in started:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "counted"
        yield directory, started
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=30)


def test_the_endpoint_adds_up_the_figures_of_every_worker(client, monkeypatch, workers):
    # given two live workers that counted 3 and 4 pages, and 2 and 3 dropped events, one queued
    # event each, in the deployment's directory
    directory, started = workers
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))

    # when the endpoint is scraped (by a third process, which counted nothing there)
    series = _series(client)

    # then it shows the sums, not one process's figures
    assert series["lookout_page_cache_bypass_total"] == 7
    assert series["lookout_analytics_events_dropped_total"] == 5
    assert series["lookout_analytics_events_queued"] == 2
    assert client.get("/healthz").json()["metrics"]["page_cache_bypass_total"] == 7

    # when both workers stop
    for process in started:
        process.communicate("\n", timeout=30)
        assert process.returncode == 0

    # then their counts still count (a counter never goes back while the deployment runs), and
    # the events they held no longer show as waiting (no live process has a queue there; in a
    # deployment the answering worker's own queue is there, at 0 when empty)
    series = _series(client)
    assert series["lookout_page_cache_bypass_total"] == 7
    assert series["lookout_analytics_events_dropped_total"] == 5
    assert series.get("lookout_analytics_events_queued", 0) == 0
