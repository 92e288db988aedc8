"""The sandbox carrier refuses in the production profile (issue 20, item 6): `lookout carrier
simulate` would let anyone holding a shell speak for the carrier. Run in a production child
process, as settings are read once per process."""

from __future__ import annotations

import pytest

# Its own files in a temporary var dir, whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent


def test_carrier_simulate_refuses_in_production(run_lookout, production_env) -> None:
    # when
    done = run_lookout(
        "carrier", "simulate", "LK-ABCD2345", "--to", "delivered", env=production_env
    )
    # then
    assert done.returncode != 0
    assert "not available in production" in done.stderr
    assert "the carrier reported" not in done.stdout
