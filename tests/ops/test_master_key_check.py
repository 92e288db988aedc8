"""Production refuses to start without a readable master key file (issue 19, finding 8).

Naming LOOKOUT_MASTER_KEY_FILE was enough: a path to nothing passed `lookout check --deploy`,
the server started, and the first sign-up or order was a 500. Each check runs `lookout` in a
child process with the production profile (settings are read once per process), as
test_production.py does.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from tests.ops.conftest import start_lookout

# Its own SQLite files (or none), whatever the pass: run once (root conftest.py).
pytestmark = [pytest.mark.database_independent, pytest.mark.commitment("C4.1")]

START_THE_APP = "import lookout.wsgi; print('started')"


def _without_key_file(production_env: dict[str, str]) -> Path:
    path = Path(production_env["LOOKOUT_MASTER_KEY_FILE"])
    path.unlink()
    return path


def test_the_deploy_check_reports_a_missing_master_key_file_and_how_to_create_it(
    production_env, run_lookout
):
    # given production pointed at a master key file that does not exist
    path = _without_key_file(production_env)

    # when the deployment checklist runs
    result = run_lookout("check", "--deploy", env=production_env)

    # then it fails, naming the file and the command that creates it
    assert result.returncode != 0
    assert "vault.E001" in result.stderr
    assert f"The master key file {path} (LOOKOUT_MASTER_KEY_FILE) does not exist" in result.stderr
    assert "lookout keys init" in result.stderr


@pytest.mark.parametrize(
    ("damage", "message"),
    [("directory", "cannot be read"), ("garbage", "is not a Lookout master keyset")],
)
def test_the_deploy_check_reports_an_unreadable_master_key_file(
    production_env, run_lookout, damage, message
):
    # given a master key path that holds a directory, or a file that is no keyset
    path = _without_key_file(production_env)
    if damage == "directory":
        path.mkdir()
    else:
        path.write_text('{"wrap": "not a keyset"}')

    # when the deployment checklist runs, then it fails and says what is wrong with the file
    result = run_lookout("check", "--deploy", env=production_env)
    assert result.returncode != 0
    assert f"The master key file {path} (LOOKOUT_MASTER_KEY_FILE) {message}" in result.stderr
    assert "not a keyset" not in result.stderr  # the file's content is never quoted


def test_the_production_app_will_not_start_without_its_master_key_file(
    production_env, run_python, run_lookout
):
    # given production pointed at a master key file that does not exist
    _without_key_file(production_env)

    # when the WSGI application is loaded, as the server does
    refused = run_python(START_THE_APP, env=production_env)

    # then it refuses to start, saying what is missing and how to create it
    assert refused.returncode != 0
    assert "started" not in refused.stdout
    assert "Lookout will not start" in refused.stderr
    assert "does not exist" in refused.stderr and "lookout keys init" in refused.stderr

    # and once the operator runs the command the message gives, the same process starts
    assert run_lookout("keys", "init", env=production_env).returncode == 0
    started = run_python(START_THE_APP, env=production_env)
    assert started.returncode == 0, started.stderr
    assert "started" in started.stdout
    assert run_lookout("check", "--deploy", env=production_env).returncode == 0


def test_lookout_serve_stops_instead_of_serving_without_the_master_key_file(production_env):
    # given production pointed at a master key file that does not exist, and a free port
    _without_key_file(production_env)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    # when the operator starts the server
    serve = start_lookout(production_env, "serve", "--port", str(port), "--no-collectstatic")
    try:
        output, _ = serve.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        serve.terminate()  # serve forwards SIGTERM to granian: nothing outlives the test
        output, _ = serve.communicate(timeout=30)
        pytest.fail("lookout serve kept running without its master key file:\n" + output)

    # then it exits with an error instead of serving, and the message says how to fix it
    assert serve.returncode != 0
    assert "Lookout is serving" not in output
    assert "Lookout will not start" in output
    assert "lookout keys init" in output
