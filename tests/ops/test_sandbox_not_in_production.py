"""The sandbox processor is served beside a development store and never by a production one.

It stands in for an outside service (`sandbox_processor/`, a package of its own): a production
store takes money through a real processor, so its served application neither mounts the
sandbox nor imports its package. Settings are read once per process, so each profile imports
the served application (`lookout.wsgi`) in a child process of its own and asks it for a path
below /sandbox-processor/.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ops.conftest import clean_env

# Its own SQLite files (or none), whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent

PROBE = """
import io, json, sys
from lookout.wsgi import application
from django.conf import settings
if settings.PRODUCTION:  # the store's own 404 page uses the collected files, as served
    from django.core.management import call_command
    call_command("collectstatic", interactive=False, verbosity=0)
answer = {}
def start_response(status, headers, *_):
    answer["status"] = status
environ = {
    "REQUEST_METHOD": "GET", "PATH_INFO": "/sandbox-processor/pay/ps_" + "a" * 24,
    "SCRIPT_NAME": "", "SERVER_NAME": "shop.example.com", "SERVER_PORT": "443",
    "HTTP_HOST": "shop.example.com", "wsgi.url_scheme": "https", "wsgi.input": io.BytesIO(),
    "wsgi.errors": sys.stderr,
}
body = b"".join(application(environ, start_response))
print(json.dumps({
    "loaded": sorted(name for name in sys.modules if name.startswith("sandbox_processor")),
    "status": answer["status"],
    "processor_page": b"sandbox" in body.lower(),
}))
"""


def _probe(run_python, env: dict[str, str]) -> dict:
    done = run_python(PROBE, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_production_store_neither_serves_nor_imports_the_sandbox(run_python, production_env):
    answer = _probe(run_python, production_env)

    assert answer["loaded"] == []
    assert answer["status"].startswith("404"), answer
    assert not answer["processor_page"]


def test_a_development_store_serves_the_sandbox_beside_it(run_python, tmp_path: Path):
    env = clean_env(tmp_path, LOOKOUT_ENV="development")

    answer = _probe(run_python, env)

    assert "sandbox_processor.app" in answer["loaded"]
    # the processor itself answers (no such session), not the store's router
    assert answer["status"].startswith("404"), answer
    assert answer["processor_page"], answer
