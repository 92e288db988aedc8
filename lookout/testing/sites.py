"""Preparing a fresh site for tests that run the store in child processes (servers, workers,
the scheduler): its master key file, both databases migrated and the cache table, in ONE
`lookout shell -c` process rather than one `lookout` process per step.

Why: each `lookout` process pays Django's start-up and the management command's system checks
(about 1.5 s of CPU on the 2-core test machine), and the suite prepares a site in a dozen
places; the steps are the same management commands `make run` runs, called in one process.

The migrations themselves cost more than all of that (about 13 s of CPU for both databases:
Django renders the project's model states again for every migration, once per database), and
they make the same files every time for the same source: `cached_site` keeps a site built by
a recipe under var/test-sites/, keyed by everything the site is made of, so each run after the
first copies it instead of migrating again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

KEY_FILE_STEP = "run('keys', 'init', verbosity=0)"
SITE_STEPS = (
    "run('migrate', interactive=False, verbosity=0)",
    "run('migrate', database='keystore', interactive=False, verbosity=0)",
    "run('createcachetable', verbosity=0)",
)

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "var" / "test-sites"
# Everything a site's files can come from: the models and migrations, the data migrations'
# own modules and texts, the apps' post_migrate handlers (groups, permissions), the settings.
SOURCES = ("lookout", "sandbox_processor", "pyproject.toml")
# Not part of it: the tests/ folders and the tests' helpers here (the recipe names the steps).
TESTING = str(ROOT / "lookout" / "testing")
STALE_AFTER = 3600.0  # seconds unused: a site of an older source tree, or a build that died
UNUSED_AFTER = 86400.0  # seconds unused: a site of this source tree


def site_setup_code(*then: str, key_file: bool = True) -> str:
    """Python for `lookout shell -c`: the site's master key file (unless `key_file` is false),
    migrations of both databases and the cache table, as `make run`'s setup makes them,
    followed by the statements `then`."""
    first = ["from django.core.management import call_command as run"]
    if key_file:
        first.append(KEY_FILE_STEP)
    return "; ".join((*first, *SITE_STEPS, *then))


def source_digest() -> str:
    """A digest of what a site built here is made from: every file of the product's source
    (tests and their helpers excepted), the installed packages (their migrations and behaviour
    come with their versions) and the Python that runs them. Any change to one of them changes
    the digest."""
    digest = hashlib.sha256(sys.version.encode())
    for top in SOURCES:
        start = ROOT / top
        if start.is_file():
            digest.update(top.encode() + b"\0" + start.read_bytes() + b"\0")
            continue
        for folder, subfolders, files in os.walk(start):
            subfolders[:] = sorted(
                d
                for d in subfolders
                if d not in ("__pycache__", "tests") and os.path.join(folder, d) != TESTING
            )
            for name in sorted(files):
                path = os.path.join(folder, name)
                with open(path, "rb") as file:
                    content = file.read()
                digest.update(os.path.relpath(path, ROOT).encode() + b"\0" + content + b"\0")
    packages = Path(sysconfig.get_paths()["purelib"])
    digest.update("\0".join(sorted(p.name for p in packages.glob("*.dist-info"))).encode())
    return digest.hexdigest()


def cached_site(build: Callable[[Path], None], *recipe: str) -> Path:
    """The folder of the site that `build(folder)` makes (`recipe`: what it runs there, part of
    the key), built once for this source tree (`source_digest`) and kept in var/test-sites/.

    The folder is never served or changed: callers copy its files into a folder of their own.
    A site is published by renaming its finished build folder, so a build that dies leaves
    nothing to copy, and two runs that build the same site at once (the two passes of `make
    test`) each end up copying a complete one. `rm -r var/test-sites` forgets every site."""
    source = source_digest()[:16]
    recipe_key = hashlib.sha256("\0".join(recipe).encode()).hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    ready = CACHE / f"{source}-{recipe_key}"
    if not ready.is_dir():
        building = Path(tempfile.mkdtemp(prefix=".build-", dir=CACHE))
        try:
            build(building)
            try:
                building.rename(ready)
            except OSError:  # another run published the same site first: theirs is kept
                if not ready.is_dir():
                    raise
        finally:
            shutil.rmtree(building, ignore_errors=True)
    os.utime(ready)  # in use: not stale
    _forget_stale(source)
    return ready


def _forget_stale(source: str) -> None:
    """Remove the sites of older source trees and the builds that died once unused for an
    hour, and the sites of this one (of other recipes) once unused for a day."""
    now = time.time()
    for entry in CACHE.iterdir():
        current = entry.name.startswith(source + "-")
        try:
            unused = now - entry.stat().st_mtime
        except FileNotFoundError:  # removed meanwhile by another run
            continue
        if unused > (UNUSED_AFTER if current else STALE_AFTER):
            shutil.rmtree(entry, ignore_errors=True)
