"""Settings of the benchmark server: the store's own settings plus one extra URL, the minimal
Django view the storefront pages are measured against (same process, middleware, database)."""

from lookout.settings import *  # noqa: F403

ROOT_URLCONF = "bench.site_urls"
