"""The record of processing activities (GDPR Art. 30(1)), built from the code.

A hand-kept record drifts from what the store really does; this one is assembled from the same
declarations the code enforces: the operating entity's settings, the fixed list of purposes,
the data inventory (each app's `personal_data.py`), the partner kinds and their category
allowlists, the retention periods and the rules that enforce them, and the security settings
and tables in force. `lookout ropa` prints it; docs/ropa.md is its Markdown (a test fails when
that file is stale). Nothing here reads the database: registered partners and their agreements
are operator data, listed by `lookout partners list`.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings

from lookout.access.matrix import GRANTS, Level, readers
from lookout.access.roles import Role
from lookout.audit.models import AuditEntry
from lookout.core.inventory import Retention
from lookout.core.purposes import Purpose
from lookout.privacy.inventory import collect, inventory, raw_tables
from lookout.retention.registry import HANDLED_ELSEWHERE, rules
from lookout.sharing import allowlist
from lookout.sharing.models import Partner, PartnerKind

CUSTOMERS = "Customers with an account"
GUESTS = "Guest customers (orders without an account)"
VISITORS = "Site visitors"
STAFF = "Staff"

# Whose data each app holds (Art. 30(1)(c)). The inventory says WHAT is held; this says about
# whom, by app. A test fails when an app holding personal data is missing here, so a new app
# cannot leave the record silently.
SUBJECTS: dict[str, tuple[str, ...]] = {
    "accounts": (CUSTOMERS, STAFF),
    "admin": (STAFF,),
    "audit": (CUSTOMERS, GUESTS, STAFF),
    "checkout": (CUSTOMERS,),
    "consent": (VISITORS,),
    "django_tasks_database": (CUSTOMERS, GUESTS),
    "inbox": (CUSTOMERS,),
    "incidents": (CUSTOMERS, GUESTS, STAFF),
    "marketing": (CUSTOMERS,),
    "orders": (CUSTOMERS, GUESTS),
    "payments": (CUSTOMERS, GUESTS),
    "policies": (CUSTOMERS, GUESTS),
    "privacy": (CUSTOMERS, GUESTS),
    "returns": (CUSTOMERS, GUESTS),
    "reviews": (CUSTOMERS,),
    "sessions": (VISITORS, CUSTOMERS, STAFF),
    "sharing": (CUSTOMERS, GUESTS),
    "support": (CUSTOMERS, GUESTS, VISITORS),
}

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "settings.py"
STAFF_SECOND_FACTOR = "lookout.accounts.middleware.StaffSecondFactorMiddleware"


def _literal(node: ast.expr) -> Any:
    """The value of a literal; otherwise its source, so that the record says where it comes from."""
    try:
        return ast.literal_eval(node)
    except ValueError:
        return f"from the environment: {ast.unparse(node)}"


def settings_literals(*, production: bool) -> dict[str, Any]:
    """Literal assignments in lookout/settings.py: top level, or inside `if PRODUCTION:`.

    Read from the source rather than from `settings`, so that the record states the production
    settings whichever environment prints it (a test or development run has no HSTS).
    """
    tree = ast.parse(SETTINGS_FILE.read_text(encoding="utf-8"))
    body: list[ast.stmt] = tree.body
    if production:
        body = [
            stmt
            for node in tree.body
            if isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "PRODUCTION"
            for stmt in node.body
        ]
    found: dict[str, Any] = {}
    for stmt in body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name) and target.id not in found:
                    found[target.id] = _literal(stmt.value)
    return found


def _retentions() -> dict[str, Retention]:
    """Every retention period named by a declaration or a rule, by name."""
    found: dict[str, Retention] = {}
    declarations = [d for fields in collect()[0].values() for d in fields.values()]
    declarations += [d for t in raw_tables() for d in t.columns.values()]
    for d in declarations:
        if d.retention is not None:
            found.setdefault(d.retention.name, d.retention)
    for rule in rules():
        found.setdefault(rule.retention.name, rule.retention)
    return dict(sorted(found.items()))


def _controller() -> dict[str, str]:
    return {
        "name": settings.LOOKOUT_OPERATOR_NAME,
        "address": settings.LOOKOUT_OPERATOR_ADDRESS,
        "contact": settings.LOOKOUT_OPERATOR_CONTACT or "not set",
    }


def _measures(personal_columns: int, ciphertext_columns: int) -> list[dict[str, Any]]:
    production = settings_literals(production=True)
    top = settings_literals(production=False)
    full_by_reader: dict[str, int] = defaultdict(int)
    for g in GRANTS:
        if g.level == Level.FULL:
            full_by_reader[g.reader] += 1
    return [
        {
            "measure": "Encryption at rest",
            "in_force": (
                f"{ciphertext_columns} of {personal_columns} personal columns are stored as "
                "ciphertext (authenticated encryption under a per-person data key, lookout.vault); "
                "the master keyset is kept outside the database (LOOKOUT_MASTER_KEY_FILE or "
                "LOOKOUT_KMS_URI); erasing a person destroys their key."
            ),
        },
        {
            "measure": "Encryption in transit (production settings)",
            "in_force": {
                name: production.get(name)
                for name in (
                    "SECURE_SSL_REDIRECT",
                    "SECURE_HSTS_SECONDS",
                    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
                    "SECURE_HSTS_PRELOAD",
                    "SESSION_COOKIE_SECURE",
                    "CSRF_COOKIE_SECURE",
                )
                if name in production
            },
        },
        {
            "measure": "Access by role and purpose (lookout.access.matrix)",
            "in_force": {
                "roles": [str(r) for r in Role],
                "fields_readable_in_full_by_reader": {
                    reader: full_by_reader[reader] for reader in sorted(readers())
                },
                "everything_not_granted": "masked or refused",
            },
        },
        {
            "measure": "Audit log",
            "in_force": (
                f"Every staff view or export of personal data and every disclosure to a partner "
                f"is written to `{AuditEntry._meta.db_table}`: append-only (database triggers "
                "refuse UPDATE and DELETE), hash-chained and checked by `lookout audit verify`."
            ),
        },
        {
            "measure": "Sign-in protection",
            "in_force": {
                "password_hashers": top.get("PASSWORD_HASHERS"),
                "login_limit_per_account": settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT,
                "login_limit_per_ip": settings.LOOKOUT_LOGIN_LIMIT_PER_IP,
                "login_window_seconds": settings.LOOKOUT_LOGIN_WINDOW_SECONDS,
                "staff_second_factor": STAFF_SECOND_FACTOR in settings.MIDDLEWARE,
            },
        },
        {
            "measure": "Browser protections",
            "in_force": {
                "csrf_protection": "django.middleware.csrf.CsrfViewMiddleware"
                in settings.MIDDLEWARE,
                "content_security_policy": bool(getattr(settings, "SECURE_CSP", None)),
                "session_cookie_httponly": top.get("SESSION_COOKIE_HTTPONLY"),
                "session_cookie_samesite": top.get("SESSION_COOKIE_SAMESITE"),
                "x_frame_options": top.get("X_FRAME_OPTIONS"),
            },
        },
    ]


def build() -> dict[str, Any]:
    """The record as plain data (deterministic: sorted, no dates)."""
    personal = [e for e in inventory() if e.personal]

    categories_by_purpose: dict[str, set[str]] = defaultdict(set)
    for e in personal:
        for p in e.purposes:
            categories_by_purpose[p].add(e.category)

    by_subject: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    unmapped = sorted({e.app for e in personal} - set(SUBJECTS))
    for e in personal:
        for subject in SUBJECTS.get(e.app, ()):
            by_subject[subject]["apps"].add(e.app)
            by_subject[subject]["categories"].add(e.category)

    by_category: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for e in personal:
        by_category[e.category]["purposes"].update(e.purposes)
        by_category[e.category]["retention"].add(e.retention or "")
        by_category[e.category]["stored_as"].add(e.stored_as or "")

    rule_list = rules()
    retention = [
        {
            "name": name,
            "period_days": r.period.days,
            "starts_at": r.starts_at,
            "enforced_by": sorted(rule.name for rule in rule_list if rule.retention.name == name),
            "handled_elsewhere": HANDLED_ELSEWHERE.get(name),
        }
        for name, r in _retentions().items()
    ]

    return {
        "controller": _controller(),
        "purposes": [
            {
                "purpose": p.value,
                "label": str(p.label),
                "data_categories": sorted(categories_by_purpose.get(p.value, ())),
            }
            for p in Purpose
        ],
        "data_subjects": [
            {
                "subject": subject,
                "apps": sorted(by_subject[subject]["apps"]),
                "data_categories": sorted(by_subject[subject]["categories"]),
            }
            for subject in (CUSTOMERS, GUESTS, VISITORS, STAFF)
        ],
        "subjects_unmapped_apps": unmapped,
        "data_categories": [
            {
                "category": category,
                "purposes": sorted(info["purposes"]),
                "retention": sorted(info["retention"]),
                "stored_as": sorted(info["stored_as"]),
            }
            for category, info in sorted(by_category.items())
        ],
        "recipients": [
            {
                "kind": kind.value,
                "label": str(kind.label),
                "data_categories": sorted(allowlist.CATEGORIES.get(kind, ())),
                "purposes": sorted(str(p) for p in allowlist.PURPOSES.get(kind, ())),
            }
            for kind in PartnerKind
        ],
        "transfers": {
            "recorded_destinations": [],
            "note": (
                f"The partner register (`{Partner._meta.db_table}`) records each partner's "
                "name and kind but no country: no transfer to a third country or international "
                "organisation is recorded by the store. The operator states any such transfer, "
                "and its safeguards, in the partner's data agreement."
            ),
        },
        "retention": retention,
        "retention_rules": [
            {"name": rule.name, "retention": rule.retention.name, "does": rule.does}
            for rule in rule_list
        ],
        "measures": _measures(
            len(personal), sum(1 for e in personal if (e.stored_as or "").startswith("ciphertext"))
        ),
    }


MARKDOWN_INTRO = """\
# Record of processing activities (GDPR Art. 30)

Generated from the code by `lookout ropa`; do not edit by hand (regenerate with
`LOOKOUT_ENV=test lookout ropa > docs/ropa.md`). The controller below is the one configured where
it was generated; run `lookout ropa` on the production host for the operator's own record, and
`lookout partners list` for the partners registered there. A test fails when this file is out of
date.
"""


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        value = ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def _codes(values: list[str]) -> str:
    return ", ".join(f"`{v}`" for v in values) or "none"


def markdown(record: dict[str, Any]) -> str:
    """docs/ropa.md: the record as Markdown, one section per element of Art. 30(1)."""
    c = record["controller"]
    lines = [
        MARKDOWN_INTRO,
        "## Controller (Art. 30(1)(a))",
        "",
        f"- Name: {c['name']}",
        f"- Address: {c['address']}",
        f"- Contact: {c['contact']}",
        "",
        "## Purposes of the processing (Art. 30(1)(b))",
        "",
        "| Purpose | Label | Data categories read for it |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{p['purpose']}` | {_cell(p['label'])} | {_codes(p['data_categories'])} |"
        for p in record["purposes"]
    ]
    lines += [
        "",
        "## Categories of data subjects (Art. 30(1)(c))",
        "",
        "| Data subjects | Held by apps | Data categories |",
        "|---|---|---|",
    ]
    lines += [
        f"| {s['subject']} | {_cell(s['apps'])} | {_codes(s['data_categories'])} |"
        for s in record["data_subjects"]
    ]
    if record["subjects_unmapped_apps"]:
        lines += [
            "",
            f"Apps not yet mapped to data subjects: {_cell(record['subjects_unmapped_apps'])}",
        ]
    lines += [
        "",
        "## Categories of personal data (Art. 30(1)(c))",
        "",
        "Categories of [fideslang](https://ethyca.github.io/fideslang/); every column is listed "
        "in docs/data-inventory.md.",
        "",
        "| Category | Purposes | Retention | Stored as |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{d['category']}` | {_cell(d['purposes'])} | {_cell(d['retention'])} | "
        f"{_cell(d['stored_as'])} |"
        for d in record["data_categories"]
    ]
    lines += [
        "",
        "## Recipients (Art. 30(1)(d))",
        "",
        "Only these kinds of partner may receive personal data, each only these categories, for "
        "these purposes, and only while a signed data agreement is in force.",
        "",
        "| Kind | Label | Data categories | Purposes |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{r['kind']}` | {r['label']} | {_codes(r['data_categories'])} | "
        f"{_cell(r['purposes'])} |"
        for r in record["recipients"]
    ]
    t = record["transfers"]
    lines += [
        "",
        "## Transfers to third countries (Art. 30(1)(e))",
        "",
        f"Recorded destinations: {_cell(t['recorded_destinations']) or 'none'}.",
        "",
        t["note"],
        "",
        "## Retention periods (Art. 30(1)(f))",
        "",
        "| Data | Period | Counted from | Enforced by |",
        "|---|---|---|---|",
    ]
    for r in record["retention"]:
        enforced = _codes(r["enforced_by"]) if r["enforced_by"] else ""
        if r["handled_elsewhere"]:
            enforced = (
                f"{enforced}; {r['handled_elsewhere']}" if enforced else r["handled_elsewhere"]
            )
        lines.append(
            f"| {r['name']} | {r['period_days']} days | {_cell(r['starts_at'])} | "
            f"{_cell(enforced or 'no rule')} |"
        )
    lines += ["", "| Rule | Retention | What it does |", "|---|---|---|"]
    lines += [
        f"| `{r['name']}` | {r['retention']} | {_cell(r['does'])} |"
        for r in record["retention_rules"]
    ]
    lines += ["", "## Technical and organisational measures (Art. 30(1)(g))", ""]
    for m in record["measures"]:
        in_force = m["in_force"]
        if isinstance(in_force, dict):
            lines.append(f"- **{m['measure']}**:")
            lines += [f"  - `{k}`: {_cell(v)}" for k, v in in_force.items()]
        else:
            lines.append(f"- **{m['measure']}**: {in_force}")
    lines.append("")
    return "\n".join(lines)
