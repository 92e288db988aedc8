"""Static analysis of the product code with bandit, and the dependency vulnerability audit (C4.5).

Bandit runs over `lookout/` (never the tests) and fails on any medium or high finding that is not
in `REVIEWED` below. Each reviewed entry is a false positive someone read and explained; it is
counted per file and check, so a *new* finding of the same kind in the same file still fails.

The dependency audit asks an advisory source (OSV, then the PyPI JSON API) about every installed
distribution. When neither can be reached — or it answers "not found" for the packages, as a
registry mirror does — the test is skipped with the reason, never reported as a pass.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

# Its own SQLite files (or none), whatever the pass: run once (root conftest.py).
pytestmark = pytest.mark.database_independent

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# (file, bandit check) -> (how many findings were reviewed, why each is a false positive)
REVIEWED: dict[tuple[str, str], tuple[int, str]] = {
    ("lookout/analytics/charts.py", "B308"): (
        1,
        "mark_safe over SVG built from format_html/escape'd parts only.",
    ),
    ("lookout/analytics/charts.py", "B703"): (1, "Same line as B308 above."),
    ("lookout/policies/rendering.py", "B308"): (
        1,
        "markdown-it renders with html disabled: every tag in the source is escaped.",
    ),
    ("lookout/policies/rendering.py", "B703"): (1, "Same line as B308 above."),
    ("lookout/reviews/templatetags/review_tags.py", "B308"): (
        1,
        "the product's JSON-LD: json.dumps output with <, > and & turned into \\u escapes (as "
        "Django's json_script does), so no review text can close the script element.",
    ),
    ("lookout/reviews/templatetags/review_tags.py", "B703"): (1, "Same line as B308 above."),
    ("lookout/catalog/search.py", "B608"): (
        5,
        "FTS_TABLE is a module constant (index, unindex, page and capped count queries); every "
        "value, LIMIT and OFFSET included, is a bound %s parameter.",
    ),
    ("lookout/retention/rules.py", "B608"): (
        3,
        "CACHE_TABLE is a settings constant; placeholders are '%s' repeated, values bound.",
    ),
    ("lookout/analytics/services.py", "B608"): (
        1,
        "The beacon's multi-row INSERT: the table and column names come from the model and are "
        "quoted with quote_name, the rest is '%s' placeholders; every value is bound.",
    ),
    ("lookout/compliance/selfaudit/data_checks.py", "B608"): (
        1,
        "Table names come from the database's own introspection, quoted with quote_name; "
        "the row limit is a bound parameter.",
    ),
    ("sandbox_processor/storage.py", "B608"): (
        1,
        "The sandbox processor's own SQLite file; the clause is chosen from fixed strings.",
    ),
    ("lookout/payments/transport.py", "B310"): (
        1,
        "urlopen on the configured processor URL (https in production), never a user's URL.",
    ),
    ("lookout/shipping/simulate.py", "B310"): (
        1,
        "urlopen on the store URL the operator gives `lookout carrier simulate --url` (sandbox "
        "only, refused in production); the scheme is checked to be http(s) just before.",
    ),
    ("lookout/core/serving.py", "B104"): (
        1,
        "Compares the bind address with 0.0.0.0 to print a reachable URL; binds nothing.",
    ),
    ("lookout/core/management/commands/serve.py", "B104"): (
        1,
        "Same comparison, to probe the server on 127.0.0.1 when bound to every interface.",
    ),
}


def _bandit_findings() -> list[dict]:
    run = subprocess.run(
        [
            str(BIN / "bandit"),
            "--recursive",
            "lookout",
            "sandbox_processor",  # not the store, but it reads card numbers: scanned as well
            "--exclude",
            "*/tests/*,*/testing.py,*/testing/*",
            "--severity-level",
            "medium",
            "--format",
            "json",
            "--quiet",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.stdout, f"bandit produced no report: {run.stderr[-2000:]}"
    report = json.loads(run.stdout)
    assert not report["errors"], f"bandit could not read some files: {report['errors']}"
    return report["results"]


@pytest.mark.commitment("C4.5")
def test_bandit_finds_no_medium_or_high_issue_beyond_the_reviewed_false_positives():
    # given the product code, when bandit reads it
    findings = _bandit_findings()

    # then every medium/high finding is one somebody reviewed, and no more of them than reviewed
    found = Counter((f["filename"].removeprefix("./"), f["test_id"]) for f in findings)
    unexpected = [
        f"{f['filename']}:{f['line_number']} {f['test_id']} {f['issue_severity']}: "
        f"{f['issue_text']}"
        for f in findings
        if found[(f["filename"], f["test_id"])]
        > REVIEWED.get((f["filename"], f["test_id"]), (0,))[0]
    ]
    assert not unexpected, "bandit findings to fix (or review):\n" + "\n".join(unexpected)


def _audit(source: str) -> tuple[dict | None, str]:
    """The pip-audit JSON report from `source`, or None and why it could not be had."""
    try:
        run = subprocess.run(
            [
                str(BIN / "pip-audit"),
                "--local",
                "--skip-editable",
                "--vulnerability-service",
                source,
                "--timeout",
                "10",
                "--format",
                "json",
                "--progress-spinner",
                "off",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"{source}: no answer within 240 s"
    try:
        return json.loads(run.stdout), ""
    except json.JSONDecodeError:
        last = (run.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"{source}: {last[:200]}"


# Not marked as proof of C4.5: where no advisory source answers (as on this project's machines,
# which reach only package registries) it skips with the reason, and a skipped test proves
# nothing. `lookout compliance` would otherwise rightly report C4.5 as unproven. C4.5 rests on
# bandit above, the OpenAPI fuzzing, the access-control walk and the abuse tests; this audit
# still runs in every suite and fails the build the day it can reach a source and finds one.
def test_no_installed_dependency_has_a_known_vulnerability():
    # given the installed environment, when an advisory source is asked about every package
    reasons = []
    for source in ("osv", "pypi"):
        report, why = _audit(source)
        if report is None:
            reasons.append(why)
            continue
        deps = report["dependencies"]
        unaudited = [d for d in deps if d.get("skip_reason")]
        if deps and len(unaudited) > len(deps) // 2:
            reasons.append(
                f"{source}: answered 'not found' for {len(unaudited)} of {len(deps)} packages "
                f"(e.g. {unaudited[0]['skip_reason']})"
            )
            continue
        # then none of them has a known vulnerability
        vulnerable = [
            f"{d['name']} {d['version']}: " + ", ".join(v["id"] for v in d["vulns"])
            for d in deps
            if d.get("vulns")
        ]
        assert not vulnerable, "vulnerable dependencies:\n" + "\n".join(vulnerable)
        return
    pytest.skip("advisory source unreachable: " + "; ".join(reasons))
