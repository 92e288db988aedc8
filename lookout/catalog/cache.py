"""Whole-page cache of the anonymous storefront (home, category, product and search pages).

Why: rendering a category page (24 product cards through Django templates) costs a few
milliseconds; a cached page costs one cache read. These pages carry no personal data for a
visitor without a session, so they can be shared between visitors, on three conditions:

* **Per variant.** The key holds the path, the query string (only the parameters the view
  reads, sorted), the htmx flag and the consent state (banner shown or not, the categories
  opted in, Global Privacy Control), because the banner and the consented scripts differ by it.
* **No nonce, no cart token in the cache.** A page holds the response's CSP nonce and, in its
  links, the visitor's cart token. Both are long random strings, so the rendered body is split
  on them and stored as text segments with markers; on the way out the segments are joined
  with *this* response's fresh nonce and *this* visitor's token. A cached page therefore never
  hands one visitor another visitor's cart, and never replays a nonce (docs/decisions/
  0019-page-cache.md).
* **The cart cookie keeps the page shared.** A visitor whose cart lives in the cart cookie
  (lookout.cart.holder) sees the very page a visitor without a cart sees: links carry no token
  and the header's cart link is /cart/ for both (no count, nothing of the cart), so the cookie
  neither bypasses the cache nor is in its key. Only a request carrying the cookie *and* a
  `?cart=` token bypasses it (its links may or may not carry that token).
* **Only for anonymous visitors without state.** A request carrying any cookie but the consent,
  visitor-id, cart and CSRF cookies (a session, flash messages) is served by the view, and a
  response that sets a cookie or is not a 200 is never stored. None of these pages holds
  personal data: the product page shows its reviews' average and count, and loads their words
  and names from an address of their own that is never cached (reviews.views.published).

Invalidation: every entry records the catalog *generation* read when its request began; the
catalog and order services bump the generation after their transaction commits
(`bump_generation`), and an entry of an older generation is a miss. The generation lives in
the shared cache, so it holds across server processes.

Two levels: the shared cache (database table, or Redis) and a small in-process copy of the
most used entries. A process reads the shared generation at most every
`LOOKOUT_PAGE_CACHE_POLL_SECONDS` (default 1 s; a bump in the process itself is seen at once),
so a hit on a hot page costs no query at all, and another process's change shows within that
second. Entries also expire after
`LOOKOUT_PAGE_CACHE_SECONDS` (default 300 s), which bounds how late a policy announcement or a
newly registered third-party script appears on a cached page.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from lookout.consent.cookies import CONSENT_COOKIE, VISITOR_COOKIE
from lookout.consent.selectors import allowed_categories, needs_banner, sends_gpc
from lookout.core import metrics
from lookout.core.tokens import CART_COOKIE
from lookout.core.tokens import is_well_formed_cart_token as is_well_formed

GENERATION_KEY = "pages:generation"
KEY_PREFIX = "pages:v1:"
MAX_QUERY_LENGTH = 512
_NONCE, _CART = "n", "c"
_HEADERS = ("Content-Type", "Content-Language")

# For /healthz (lookout_page_cache_<outcome>_total): counts only, no URL, no visitor.
counted = {
    outcome: metrics.counter(f"page_cache_{outcome}_total", documentation)
    for outcome, documentation in (
        ("hit", "Pages served from the page cache"),
        ("miss", "Cacheable pages rendered by their view"),
        ("bypass", "Pages the cache may not serve (state, a cookie, unknown query)"),
        ("stored", "Rendered pages stored in the page cache"),
    )
}


View = Callable[..., HttpResponse]
LOCAL_ENTRIES = 256


class _Local:
    """The in-process level: the last polled generation and an LRU of entries."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation: int | None = None
        self.polled = 0.0
        self.entries: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def get(self, key: str, gen: int) -> dict[str, Any] | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry["generation"] != gen or entry["expires"] < time.monotonic():
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        with self.lock:
            self.entries[key] = {**entry, "expires": time.monotonic() + _timeout()}
            self.entries.move_to_end(key)
            while len(self.entries) > LOCAL_ENTRIES:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.generation, self.polled = None, 0.0
            self.entries.clear()


local = _Local()


def _cache() -> BaseCache:
    return caches["pages"] if "pages" in settings.CACHES else caches["default"]


def enabled() -> bool:
    """On by default, off in the test profile unless a test turns it on (tests that edit
    products with the ORM, bypassing the services, would otherwise read stale pages)."""
    return bool(getattr(settings, "LOOKOUT_PAGE_CACHE", not settings.TESTING))


def _timeout() -> int:
    return int(getattr(settings, "LOOKOUT_PAGE_CACHE_SECONDS", 300))


def generation() -> int:
    """The current catalog generation, created (at a random value) when missing or evicted:
    a restarted counter can then never match the generation of an old entry."""
    cache = _cache()
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, secrets.randbits(62), timeout=None)
        value = cache.get(GENERATION_KEY)
    return int(value)


def _poll_seconds() -> float:
    return float(getattr(settings, "LOOKOUT_PAGE_CACHE_POLL_SECONDS", 1.0))


def _current_generation() -> int:
    """The generation, read from the shared cache at most once per poll interval."""
    now = time.monotonic()
    if local.generation is not None and now - local.polled < _poll_seconds():
        return local.generation
    gen = generation()
    local.generation, local.polled = gen, now
    return gen


def current_generation() -> int:
    """The catalog generation as this process last polled it (no query within the poll
    interval): for in-process caches derived from the catalog, e.g. the search word list."""
    return _current_generation()


def _bump() -> None:
    local.clear()  # this process sees its own change at once
    cache = _cache()
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # missing (never set, evicted): any new value invalidates every entry
        cache.add(GENERATION_KEY, secrets.randbits(62), timeout=None)


def bump_generation() -> None:
    """Invalidate every cached page once the current transaction commits (at once if none):
    call it from every service that changes what a storefront page shows (product, category,
    price, stock). After commit, so no request can cache the old rows under the new number."""
    transaction.on_commit(_bump)


def _stateless(request: HttpRequest) -> bool:
    allowed = {CONSENT_COOKIE, VISITOR_COOKIE, CART_COOKIE, settings.CSRF_COOKIE_NAME}
    return request.method in ("GET", "HEAD") and set(request.COOKIES) <= allowed


def page_key(request: HttpRequest, *, params: Iterable[str]) -> str | None:
    """The cache key of this request's page variant, or None when it must not be cached."""
    if not _stateless(request) or len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_LENGTH:
        return None
    wanted = set(params)
    if any(name not in wanted and name != "cart" for name in request.GET):
        return None  # unknown parameters: no entry per junk query string
    query = urlencode([(k, v) for k in sorted(wanted) for v in request.GET.getlist(k)])
    token = request.GET.get("cart", "")
    if token and (not is_well_formed(token) or CART_COOKIE in request.COOKIES):
        return None
    consent = (
        "banner"
        if needs_banner(request)
        else "chose:" + ",".join(sorted(allowed_categories(request)))
    )
    variant = "|".join(
        [
            request.path,
            query,
            "cart" if token else "",
            request.headers.get("HX-Request", ""),
            consent,
            "gpc" if sends_gpc(request) else "",
        ]
    )
    return KEY_PREFIX + hashlib.sha256(variant.encode()).hexdigest()


def _split(body: str, *, nonce: str, token: str) -> list[str]:
    """Text segments with markers in between: the body without the nonce and the token."""
    secrets_in_body = {s: m for s, m in ((nonce, _NONCE), (token, _CART)) if s}
    if not secrets_in_body:
        return [body]
    pattern = "(" + "|".join(re.escape(s) for s in secrets_in_body) + ")"
    parts = re.split(pattern, body)
    for i in range(1, len(parts), 2):
        parts[i] = secrets_in_body[parts[i]]
    return parts


def _join(parts: list[str], *, nonce: str, token: str) -> str:
    values = {_NONCE: nonce, _CART: token}
    return "".join(p if i % 2 == 0 else values[p] for i, p in enumerate(parts))


def _nonce(request: HttpRequest, *, generate: bool) -> str:
    lazy = getattr(request, "_csp_nonce", None)
    if lazy is None or not (generate or bool(lazy)):
        return ""
    return str(lazy)


def _respond(request: HttpRequest, entry: dict[str, Any]) -> HttpResponse:
    nonce = _nonce(request, generate=_NONCE in entry["parts"][1::2])
    body = _join(entry["parts"], nonce=nonce, token=request.GET.get("cart", ""))
    response = HttpResponse(body, status=entry["status"])
    for name, value in entry["headers"]:
        response[name] = value
    return response


def _store(key: str, gen: int, request: HttpRequest, response: HttpResponse) -> None:
    user = getattr(request, "user", None)
    if (
        response.status_code != 200
        or response.streaming
        or response.cookies
        or response.has_header("Set-Cookie")
        or (user is not None and user.is_authenticated)
    ):
        return
    body = response.content.decode(response.charset)
    parts = _split(body, nonce=_nonce(request, generate=False), token=request.GET.get("cart", ""))
    headers = [(h, response[h]) for h in _HEADERS if response.has_header(h)]
    entry = {"generation": gen, "status": 200, "headers": headers, "parts": parts}
    _cache().set(key, entry, timeout=_timeout())
    local.put(key, entry)
    counted["stored"].inc()


def cached_page(*, params: Iterable[str] = ()) -> Callable[[View], View]:
    """Serve the view from the page cache for anonymous, stateless visitors (see module doc).

    `params`: the query parameters the view reads; any other one (but `cart`) bypasses the
    cache, so junk query strings cannot fill it."""
    names = tuple(params)

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            key = page_key(request, params=names) if enabled() else None
            if key is None:
                counted["bypass"].inc()
                return view(request, *args, **kwargs)
            gen = _current_generation()
            entry = local.get(key, gen)
            if entry is None:
                entry = _cache().get(key)
                if entry is not None and entry["generation"] == gen:
                    local.put(key, entry)
            if entry is not None and entry["generation"] == gen:
                counted["hit"].inc()
                response = _respond(request, entry)
                response["X-Page-Cache"] = "hit"
            else:
                counted["miss"].inc()
                response = view(request, *args, **kwargs)
                _store(key, gen, request, response)
                response["X-Page-Cache"] = "miss"
            # Downstream caches (a proxy) must keep the same variants apart as we do.
            patch_vary_headers(response, ["Cookie", "Sec-GPC", "HX-Request"])
            return response

        return wrapper

    return decorate
