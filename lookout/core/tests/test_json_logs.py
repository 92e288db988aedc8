"""JSON log lines come from python-json-logger after the masking filter; LOOKOUT_LOG_FORMAT picks
JSON or text in any profile (decision 0042). Each record goes through the real handler built from
settings.LOGGING, in a process of its own, so what is asserted is what reaches stderr."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from tests.ops.conftest import clean_env, production_env, run_python  # noqa: F401 fixtures

# Its own SQLite files (or none), whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent

# Fictitious values: a reserved-domain email and the standard Visa test number.
EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"

LOG_RECORDS = f"""
import django, logging
django.setup()
log = logging.getLogger("lookout.checkout")
log.warning("card %s refused for {EMAIL}", "{CARD}", extra={{"visitor": "{EMAIL}"}})
try:
    raise ValueError("no account for {EMAIL}")
except ValueError:
    log.exception("sign-in failed")
"""


def test_json_lines_are_masked_and_carry_the_expected_keys(tmp_path, run_python):  # noqa: F811
    # given the development profile asked for JSON logs
    env = clean_env(tmp_path, LOOKOUT_ENV="development", LOOKOUT_LOG_FORMAT="json")

    # when a record carries an email and a card number (message, argument and an `extra`
    # attribute), and another a traceback naming the email
    result = run_python(LOG_RECORDS, env=env)

    # then each line parses as JSON with the expected keys, and no personal value is in any
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stderr.splitlines())
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["level"] == "WARNING" and first["logger"] == "lookout.checkout"
    assert first["message"] == "card [number] refused for [email]"
    assert datetime.fromisoformat(first["time"]).utcoffset() == timedelta(0)
    assert set(second) == {"time", "level", "logger", "message", "exception"}
    assert second["message"] == "sign-in failed"
    assert "ValueError: no account for [email]" in second["exception"]
    assert EMAIL not in result.stderr and CARD not in result.stderr
    assert "4111111111111111" not in result.stderr


def test_production_can_ask_for_text_lines_still_masked(production_env, run_python):  # noqa: F811
    # given production (JSON by default) asked for plain text lines
    production_env["LOOKOUT_LOG_FORMAT"] = "text"

    # when the same records are logged
    result = run_python(LOG_RECORDS, env=production_env)

    # then the lines are text, not JSON, and masked the same way
    assert result.returncode == 0, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.endswith("WARNING lookout.checkout card [number] refused for [email]")
    with pytest.raises(json.JSONDecodeError):
        json.loads(first)
    assert EMAIL not in result.stderr and CARD not in result.stderr


def test_an_unknown_log_format_stops_the_process(tmp_path, run_python):  # noqa: F811
    env = clean_env(tmp_path, LOOKOUT_ENV="development", LOOKOUT_LOG_FORMAT="yaml")
    result = run_python("import django; django.setup()", env=env)
    assert result.returncode != 0
    assert "LOOKOUT_LOG_FORMAT='yaml': use 'json' (production) or 'text'." in result.stderr
