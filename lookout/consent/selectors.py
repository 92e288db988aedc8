"""Reading a visitor's consent from the request. Global Privacy Control always counts as
reject (C7.3), whatever an older cookie says."""

from __future__ import annotations

from django.http import HttpRequest

from lookout.access.restrictions import is_restricted
from lookout.consent.cookies import CONSENT_COOKIE, Category
from lookout.consent.models import ThirdPartyScript
from lookout.consent.services import Choice, parse_cookie


def sends_gpc(request: HttpRequest) -> bool:
    return request.headers.get("Sec-GPC", "").strip() == "1"


def current_choice(request: HttpRequest) -> Choice | None:
    """The choice stored in the consent cookie, or None (no cookie, cookies blocked, garbage)."""
    if hasattr(request, "_lookout_consent"):
        return request._lookout_consent
    choice = parse_cookie(request.COOKIES.get(CONSENT_COOKIE, ""))
    request._lookout_consent = choice  # type: ignore[attr-defined]
    return choice


def allows(request: HttpRequest, category: str) -> bool:
    """Whether this request may use an optional category: only after opt-in, never under GPC."""
    if category == Category.STRICTLY_NECESSARY:
        return True
    if sends_gpc(request):
        return False
    choice = current_choice(request)
    return choice is not None and choice.allows(category)


def allowed_categories(request: HttpRequest) -> list[str]:
    return [c.value for c in (Category.ANALYTICS, Category.MARKETING) if allows(request, c)]


def scripts_for(request: HttpRequest) -> list[ThirdPartyScript]:
    """Registered third-party scripts this visitor opted in to (no query when none)."""
    categories = allowed_categories(request)
    if not categories:
        return []
    return list(ThirdPartyScript.objects.filter(active=True, category__in=categories))


def needs_banner(request: HttpRequest) -> bool:
    return current_choice(request) is None


def restricted(request: HttpRequest) -> bool:
    """Whether the signed-in person has restricted the processing of their data (GDPR Art. 18,
    C6.9): then nothing optional may be recorded about them, not even anonymously, whatever the
    cookie says. One look-up, only for a signed-in visitor; asked by the analytics beacon."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return is_restricted(getattr(user, "subject", None))
