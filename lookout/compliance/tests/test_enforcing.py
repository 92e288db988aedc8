"""The enforcing-code map: every commitment names the code that keeps it, and that code exists."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from lookout.compliance.commitments import REPO_ROOT, enforcing, known_ids

pytestmark = pytest.mark.database_independent


def test_every_commitment_names_its_enforcing_code_and_every_path_exists():
    # given the hand-kept map next to commitments.json
    mapped = enforcing()

    # then it covers exactly the commitments, each with at least one path, and no path is stale
    assert set(mapped) == known_ids()
    assert all(mapped.values())
    missing = [p for paths in mapped.values() for p in paths if not (REPO_ROOT / p).exists()]
    assert missing == []


def test_the_report_lists_the_enforcing_code(tmp_path):
    out = io.StringIO()
    call_command("compliance", "--json", results_dir=tmp_path, stdout=out)
    rows = {row["id"]: row for row in json.loads(out.getvalue())["commitments"]}
    assert rows["C5.6"]["enforced_by"] == ["lookout/sharing/consented.py"]

    text = io.StringIO()
    call_command("compliance", results_dir=tmp_path, stdout=text)
    assert "code: lookout/sharing/consented.py" in text.getvalue()
