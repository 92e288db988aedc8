"""Who-is-who without identifying anyone: the `visitor` column of an event.

With analytics consent the visitor's random cookie links their visits (hashed with the site key,
so the stored value is not the cookie). Without consent a hash of the request under a salt of
the day, which is deleted the next day: the same browser gets another value tomorrow, and after
the salt is gone nobody can recompute today's values.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date

from django.conf import settings

from lookout.analytics.models import DailySalt

_salts: dict[date, str] = {}


def salt_for(day: date) -> str:
    """The salt of `day`, made on first use. Two processes making it at once end with one salt:
    `get_or_create` lets one insert win and the other read the winner's row."""
    if day in _salts:
        return _salts[day]
    made, _ = DailySalt.objects.get_or_create(day=day, defaults={"salt": secrets.token_hex(32)})
    found = made.salt
    _salts.clear()  # only today's salt is ever cached
    _salts[day] = found
    return found


def forget_cached_salts() -> None:
    _salts.clear()


def consented_visitor(cookie: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, b"visitor:" + cookie.encode(), hashlib.sha256).hexdigest()[:32]


def daily_visitor(*, day: date, ip: str, user_agent: str, host: str) -> str:
    material = "\n".join([salt_for(day), host, ip, user_agent]).encode()
    return hashlib.sha256(material).hexdigest()[:32]
