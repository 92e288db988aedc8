"""A check's evidence in words: keys, dates, yes/no, lists, records as tables; identifiers kept
as code (issue 22)."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from lookout.compliance.evidence import evidence_node
from lookout.testing.pages import reads_as_machine

pytestmark = pytest.mark.database_independent


def _html(evidence: object) -> str:
    return render_to_string("compliance/_evidence.html", {"node": evidence_node(evidence)})


def test_evidence_reads_in_words_with_identifiers_as_code() -> None:
    html = _html(
        {
            "rows_scanned": 585,
            "first_broken_seq": None,
            "SECURE_SSL_REDIRECT": False,
            "since": "2026-12-07T14:05:00+00:00",
            "overdue": [{"refund": "7f0c2a1e-0000-4000-8000-000000000001", "due_on": "2026-12-08"}],
            "jobs": {"retention.daily": {"last_status": "", "overdue": True}},
            "listed": ["sessionid", "csrftoken"],
            "unknown_columns": [],
        }
    )
    assert "<dt>Rows scanned</dt><dd>585</dd>" in html
    assert "<dt>First broken seq</dt><dd>none</dd>" in html
    assert "<dt><code>SECURE_SSL_REDIRECT</code></dt><dd>no</dd>" in html
    assert '<time datetime="2026-12-07T14:05:00+00:00">7 December 2026, 14:05 UTC</time>' in html
    assert '<th scope="col">Due on</th>' in html
    assert "<td><code>7f0c2a1e-0000-4000-8000-000000000001</code></td>" in html
    assert '<td><time datetime="2026-12-08">8 December 2026</time></td>' in html
    assert "<dt><code>retention.daily</code></dt><dd><dl><dt>Last status</dt><dd>—</dd>" in html
    assert "<dt>Overdue</dt><dd>yes</dd>" in html
    assert "<ul><li>sessionid</li><li>csrftoken</li></ul>" in html
    assert "<dt>Unknown columns</dt><dd>none</dd>" in html
    assert reads_as_machine(html) == [], reads_as_machine(html)


def test_nested_lists_stay_lists() -> None:
    html = _html({"heads": {"main": [12, "ab12cd"]}})
    assert "<dt>Main</dt><dd><ul><li>12</li><li><code>ab12cd</code></li></ul></dd>" in html
