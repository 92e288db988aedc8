"""`lookout serve --workers 2`: /healthz shows the figures of both workers added up, from the
deployment's multiprocess directory, which serve empties when it starts (decision 0042)."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.ops.conftest import (  # noqa: F401 fixtures
    REPO,
    create_master_key_file,
    migrated_site,
    read_until,
    served_env,
    start_lookout,
)
from tests.ops.test_concurrency import free_port

# Its own SQLite files, whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent

BYPASS = "lookout_page_cache_bypass_total"


@pytest.fixture(scope="module")
def site(served_env: dict[str, str]) -> dict[str, str]:  # noqa: F811
    """A migrated development site of its own, with its master key (as `make run` prepares:
    the file made here as `lookout keys init` makes it)."""
    create_master_key_file(Path(served_env["LOOKOUT_MASTER_KEY_FILE"]))
    return served_env


def _count_pages_in(directory: Path, env: dict[str, str], pages: int) -> None:
    """Leave figures of an earlier run in `directory`, as a stopped server would."""
    code = (
        "import django; django.setup()\n"
        "from django.http import HttpResponse\n"
        "from django.test import RequestFactory\n"
        "from lookout.catalog.cache import cached_page\n"
        "page = cached_page()(lambda request: HttpResponse('ok'))\n"
        f"for _ in range({pages}): page(RequestFactory().get('/', {{'utm_source': 'x'}}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PROMETHEUS_MULTIPROC_DIR": str(directory)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _bypass_by_process(directory: Path) -> dict[str, float]:
    """Each process's own page-cache bypasses, read file by file (what the endpoint adds up)."""
    counts: dict[str, float] = {}
    for file in directory.glob("counter_*.db"):
        for family in MultiProcessCollector.merge([str(file)]):
            for sample in family.samples:
                if sample.name == BYPASS:
                    counts[file.stem.removeprefix("counter_")] = sample.value
    return counts


def _scrape(base: str) -> dict[str, float]:
    with urllib.request.urlopen(base + "/healthz?format=prometheus", timeout=10) as answer:  # noqa: S310 loopback
        assert answer.status == 200
        text = answer.read().decode()
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.labels
    }


def _open(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 loopback
        answer.read()
        return answer.status


@pytest.fixture
def served(site: dict[str, str]) -> Iterator[tuple[str, Path]]:
    """`lookout serve --workers 2` on a free port, after an earlier run left 50 bypasses in
    its metrics directory; its base URL and that directory."""
    port = free_port()
    directory = Path(site["LOOKOUT_VAR_DIR"]) / "metrics" / str(port)
    directory.mkdir(parents=True)
    _count_pages_in(directory, site, 50)
    assert sum(_bypass_by_process(directory).values()) == 50
    process = start_lookout(site, "serve", "--workers", "2", "--port", str(port))
    lines: list[str] = []
    try:
        read_until(process, "Lookout is serving on", lines)
        yield f"http://127.0.0.1:{port}", directory
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)


def test_serve_with_two_workers_shows_their_figures_added_up(served):
    base, directory = served
    # given the server just started: the earlier run's figures were removed
    assert _scrape(base)[BYPASS] == 0

    # when pages are asked for, several at a time, until both workers have served some
    sent = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(50):
            statuses = list(pool.map(_open, [base + "/?utm_source=x"] * 16))
            assert statuses == [200] * 16
            sent += 16
            if sum(1 for count in _bypass_by_process(directory).values() if count) >= 2:
                break
    served_by = {pid: count for pid, count in _bypass_by_process(directory).items() if count}
    assert len(served_by) >= 2, served_by

    # then whichever worker answers the scrape shows every page counted, by both of them
    for _ in range(4):
        assert _scrape(base)[BYPASS] == sent
