"""Lookout's counters and gauges, kept by `prometheus_client` and added up over every process.

Why the library: it is the Prometheus project's own client, so the text format, escaping, types
and counter semantics are its job, not ours (decision 0042).

Why multiprocess mode: `lookout serve --workers N` runs N granian processes behind one port, and a
scrape of `/healthz?format=prometheus` reaches whichever of them accepts it. Each process writes
its figures to memory-mapped files in `PROMETHEUS_MULTIPROC_DIR` (a directory `lookout serve`
creates for its deployment and port, and empties at start: `prepare_directory`), and the process
that answers reads every file (`MultiProcessCollector`), so the figures are the deployment's,
not one worker's. Counters of a worker that stopped still count (a counter never goes down while
the deployment runs); a gauge counts only while its process lives ("livesum"). Without the
variable (runserver, tests, another WSGI server) the figures are this process's, in memory.

An app declares its figures with `counter` and `gauge` in a module its AppConfig.ready() imports;
core names no app. Figures are counts and durations only, never a URL, an address or a user.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

ENV_VAR = "PROMETHEUS_MULTIPROC_DIR"
NAMESPACE = "lookout"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# The figures this process declared. In multiprocess mode their values live in the files and this
# registry is not read; without it, it is what a scrape shows.
REGISTRY = CollectorRegistry(auto_describe=True)
# `<name>_created` series (one per counter) are not kept in multiprocess mode: none anywhere, so
# both modes show the same series.
disable_created_metrics()


def counter(name: str, documentation: str) -> Counter:
    """A running count, shown as `lookout_<name>` (`_total` added when missing)."""
    return Counter(name, documentation, namespace=NAMESPACE, registry=REGISTRY)


def gauge(name: str, documentation: str) -> Gauge:
    """A current level, shown as `lookout_<name>`: the sum over the processes still running."""
    return Gauge(
        name, documentation, namespace=NAMESPACE, registry=REGISTRY, multiprocess_mode="livesum"
    )


def directory() -> Path | None:
    """The multiprocess directory when this process runs in that mode."""
    value = os.environ.get(ENV_VAR, "")
    return Path(value) if value else None


def prepare_directory(path: Path) -> Path:
    """Create `path` and remove the figures a previous run left there (`lookout serve` at start):
    its counters would otherwise be added to this run's. Only the library's `*.db` files are
    removed, so a directory chosen by the operator keeps anything else in it."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _forget_dead_processes(path: Path) -> None:
    """Drop the gauge files of processes that ended (a restarted or killed worker), so a gauge
    is the sum over the living ones. granian has no hook to say a worker died, so the scrape
    looks: the pid is in the file's name (`gauge_livesum_<pid>.db`)."""
    for file in path.glob("gauge_live*_*.db"):
        pid = file.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            mark_process_dead(int(pid), str(path))


class _Own:
    """This process's declared figures, for a scrape outside multiprocess mode."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def scrape(*measured: Collector) -> CollectorRegistry:
    """The figures for one scrape: every process's (multiprocess mode) or this process's, and
    the `measured` collectors (values taken at the scrape, such as health checks)."""
    registry = CollectorRegistry(auto_describe=False)
    path = directory()
    if path is not None:
        _forget_dead_processes(path)
        MultiProcessCollector(registry, path=str(path))
    else:
        registry.register(_Own())
    for collector in measured:
        registry.register(collector)
    return registry


def as_text(registry: CollectorRegistry) -> bytes:
    """Prometheus text exposition (format 0.0.4)."""
    return generate_latest(registry)


def unlabelled(registry: CollectorRegistry) -> Iterator[tuple[str, float]]:
    """(name without `lookout_`, value) of each series without labels, for /healthz's JSON."""
    prefix = NAMESPACE + "_"
    for family in registry.collect():
        for sample in family.samples:
            if not sample.labels and sample.name.startswith(prefix):
                yield sample.name.removeprefix(prefix), sample.value
