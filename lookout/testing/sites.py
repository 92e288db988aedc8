"""Preparing a fresh site for tests that run the store in child processes (servers, workers,
the scheduler): its master key file, both databases migrated and the cache table, in ONE
`lookout shell -c` process rather than one `lookout` process per step.

Why: each `lookout` process pays Django's start-up and the management command's system checks
(about 1.5 s of CPU on the 2-core test machine), and the suite prepares a site in a dozen
places; the steps are the same management commands `make run` runs, called in one process.
"""

from __future__ import annotations

KEY_FILE_STEP = "run('keys', 'init', verbosity=0)"
SITE_STEPS = (
    "run('migrate', interactive=False, verbosity=0)",
    "run('migrate', database='keystore', interactive=False, verbosity=0)",
    "run('createcachetable', verbosity=0)",
)


def site_setup_code(*then: str, key_file: bool = True) -> str:
    """Python for `lookout shell -c`: the site's master key file (unless `key_file` is false),
    migrations of both databases and the cache table, as `make run`'s setup makes them,
    followed by the statements `then`."""
    first = ["from django.core.management import call_command as run"]
    if key_file:
        first.append(KEY_FILE_STEP)
    return "; ".join((*first, *SITE_STEPS, *then))
