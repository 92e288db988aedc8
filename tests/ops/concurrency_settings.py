"""Settings for the concurrency test's server: Lookout's own, with the tiny writing site."""

from lookout.settings import *  # noqa: F403

ROOT_URLCONF = "tests.ops.concurrency_site"
