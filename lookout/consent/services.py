"""Writing consent: receipts, the consent cookie's value, third-party script registration."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.signing import BadSignature, Signer
from django.db import transaction

from lookout.consent import banner
from lookout.consent.cookies import Category
from lookout.consent.models import ConsentReceipt, ThirdPartyScript
from lookout.core.errors import LookoutError


class ConsentError(LookoutError):
    status_code = 400


@dataclass(frozen=True)
class Choice:
    """What the consent cookie says (after checking it is well formed)."""

    receipt_id: uuid.UUID
    analytics: bool
    marketing: bool

    def allows(self, category: str) -> bool:
        return {
            Category.STRICTLY_NECESSARY.value: True,
            Category.ANALYTICS.value: self.analytics,
            Category.MARKETING.value: self.marketing,
        }.get(str(category), False)


def _privacy_version() -> int | None:
    from lookout.policies.selectors import current_versions

    current = current_versions().get("privacy")
    return current.number if current is not None else None


@transaction.atomic
def record_choice(
    *,
    method: str,
    analytics: bool = False,
    marketing: bool = False,
    gpc: bool = False,
    subject: uuid.UUID | None = None,
) -> ConsentReceipt:
    """Write the receipt of one choice. A Global Privacy Control signal wins over anything the
    form said: the receipt records a reject, and says it was because of GPC (C7.3)."""
    if method not in ConsentReceipt.Method.values:
        raise ConsentError("Please choose Accept all, Reject all or Save my choices.")
    if method == ConsentReceipt.Method.ACCEPT_ALL:
        analytics = marketing = True
    elif method == ConsentReceipt.Method.REJECT_ALL:
        analytics = marketing = False
    if gpc:
        method, analytics, marketing = ConsentReceipt.Method.GPC, False, False
    return ConsentReceipt.objects.create(
        method=method,
        analytics=analytics,
        marketing=marketing,
        gpc=gpc,
        banner_version=banner.version(),
        privacy_policy_version=_privacy_version(),
        subject=subject,
    )


# Signed with the site's secret key: a consent cookie the store did not write (typed into the
# browser, or set from a neighbouring subdomain) opens nothing, so every category a page loads
# for has a receipt behind it (C7.3).
def _signer() -> Signer:
    return Signer(salt="lookout.consent.cookie")


def cookie_value(*, receipt: ConsentReceipt) -> str:
    return _signer().sign(f"1.{receipt.id.hex}.a{int(receipt.analytics)}.m{int(receipt.marketing)}")


def parse_cookie(value: str) -> Choice | None:
    """The choice a consent cookie holds, or None when it is missing or not one of ours."""
    try:
        value = _signer().unsign(value or "")
    except BadSignature:
        return None
    parts = value.split(".")
    if len(parts) != 4 or parts[0] != "1" or len(parts[1]) != 32:
        return None
    if parts[2] not in ("a0", "a1") or parts[3] not in ("m0", "m1"):
        return None
    try:
        receipt_id = uuid.UUID(hex=parts[1])
    except ValueError:
        return None
    return Choice(receipt_id=receipt_id, analytics=parts[2] == "a1", marketing=parts[3] == "m1")


def origin_of(src: str) -> str:
    """scheme://host[:port] of a script URL; only http(s) URLs with a host are accepted."""
    parts = urlsplit(src)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConsentError("A third-party script needs a full http(s) address.")
    if any(c in src for c in " ;,'\""):
        raise ConsentError("That script address contains characters a CSP cannot carry.")
    return f"{parts.scheme}://{parts.netloc.lower()}"


@transaction.atomic
def register_script(*, name: str, category: str, src: str) -> ThirdPartyScript:
    """Register a vendor script for one optional category; it stays inert until a visitor opts
    in to that category (C7.5)."""
    if category not in (Category.ANALYTICS, Category.MARKETING):
        raise ConsentError("A third-party script belongs to analytics or marketing.")
    if not name.strip() or len(name) > 80 or len(src) > 500:
        raise ConsentError("Give the script a name (80 characters at most) and its address.")
    return ThirdPartyScript.objects.create(
        name=name.strip(), category=category, src=src, origin=origin_of(src)
    )
