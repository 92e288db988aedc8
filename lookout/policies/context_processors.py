"""`policy_announcements` for every page, so base.html can show the banner site-wide (C8.2)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from lookout.policies.selectors import announcements


def policy_announcements(request: HttpRequest) -> dict[str, Any]:
    # Lazy: pages that never show the banner run no query.
    return {"policy_announcements": lambda: announcements()}
