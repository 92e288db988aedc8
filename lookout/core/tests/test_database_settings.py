"""PostgreSQL connection settings: parameters bound by the server, statements prepared after a
few runs (decision 0023), and a way to turn preparing off for a pooler."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[3]
PG = "postgres://postgres@127.0.0.1:5432/lookout"


def _options(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import json, lookout.settings as s; "
        "o = dict(s.DATABASES['default']['OPTIONS']); o.pop('pool'); print(json.dumps(o))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "LOOKOUT_VAR_DIR": str(tmp_path), "DATABASE_URL": PG, **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_postgresql_binds_on_the_server_and_prepares_after_five_runs(tmp_path: Path) -> None:
    result = _options(tmp_path)
    assert json.loads(result.stdout) == {"server_side_binding": True, "prepare_threshold": 5}


def test_preparing_can_be_turned_off_for_a_pooler(tmp_path: Path) -> None:
    result = _options(tmp_path, LOOKOUT_PG_PREPARE_THRESHOLD="off")
    assert json.loads(result.stdout)["prepare_threshold"] is None


def test_a_bad_threshold_stops_the_settings_from_loading(tmp_path: Path) -> None:
    result = _options(tmp_path, LOOKOUT_PG_PREPARE_THRESHOLD="five")
    assert result.returncode != 0
    assert "LOOKOUT_PG_PREPARE_THRESHOLD must be a whole number" in result.stderr


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's connections only")
def test_a_statement_run_often_is_prepared_on_the_connection() -> None:
    with connection.cursor() as cursor:
        for _ in range(7):
            cursor.execute("SELECT COUNT(*) FROM cart_cart WHERE id > %s", [0])
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements "
            "WHERE statement LIKE 'SELECT COUNT(*) FROM cart_cart WHERE id > $1%%'"
        )
        assert cursor.fetchone()[0] == 1
