"""The privacy officer's self-audit page: the latest live self-audit, check by check.

Only the privacy_officer role reaches it (others get the same 404 as a missing page); staff
pass their second factor first (accounts middleware). A POST runs a new self-audit now.
"""

from __future__ import annotations

from django.contrib.auth import get_user
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.compliance.evidence import evidence_node
from lookout.compliance.selfaudit.runner import last_run, run_self_audit


def _officer(request: HttpRequest) -> User:
    user = get_user(request)
    if not isinstance(user, User) or user.role != Role.PRIVACY_OFFICER:
        raise Http404("No such page.")
    return user


@require_http_methods(["GET", "POST"])
def self_audit(request: HttpRequest) -> HttpResponse:
    _officer(request)
    if request.method == "POST":
        run_self_audit()
        return redirect("compliance:self_audit")
    run = last_run()
    results = run.results if run else {}
    checks = [
        {
            **check,
            # a run stored before checks had titles: its name in words
            "title": check.get("title") or str(check["name"]).replace("_", " ").capitalize(),
            "readable": evidence_node(check.get("evidence", {})),
        }
        for check in results.get("checks", [])
    ]
    titles = {check["name"]: check["title"] for check in checks}
    commitments = [
        {**row, "titles": [titles.get(name, name) for name in row["checks"]]}
        for row in results.get("commitments", [])
    ]
    return render(
        request,
        "compliance/self_audit.html",
        {"run": run, "checks": checks, "commitments": commitments},
    )
