"""The cookie table people read is the truth about the cookies the store sets (C7.1, C7.2).

Nothing here copies the table: a visitor goes through the store with Django's test client
(shop pages, the cart, a cookie choice, signing in and out), and the cookies the responses
really set, with their lifetimes and the consent each one waited for, are held against the
rows the cookie page renders. The one cookie no response sets, the page script's probe, is read
from the script every page loads. The purposes and "set when" texts are held to what the store
is seen doing, and to plain sentences a person can read.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import Morsel
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http.response import HttpResponseBase
from django.test import Client

from lookout.accounts.services import create_account
from lookout.catalog.tests import factories
from lookout.consent.models import ConsentReceipt

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple"
EMAIL = "cookie-table@example.com"
PEOPLE = itertools.count(1)
NECESSARY, ANALYTICS, MARKETING = "Strictly necessary", "Analytics", "Marketing (third party)"


# --- what the cookie page shows -------------------------------------------------------------


class _Table(HTMLParser):
    """The rows of the cookie page's table: the data-cookie name and the text of each cell; and
    every link's text and address (the banner's "Which cookies?")."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: dict[str, list[str]] = {}
        self.links: dict[str, str] = {}
        self.scripts: list[str] = []
        self._row: str | None = None
        self._cell: list[str] | None = None
        self._href: str | None = None
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "tr" and named.get("data-cookie") is not None:
            self._row = named["data-cookie"] or ""
            self.rows[self._row] = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "a":
            self._href, self._link_text = named.get("href") or "", []
        elif tag == "script" and named.get("src"):
            self.scripts.append(named["src"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row is not None and self._cell is not None:
            self.rows[self._row].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "a" and self._href is not None:
            self.links[" ".join("".join(self._link_text).split())] = self._href
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._href is not None:
            self._link_text.append(data)


@dataclass(frozen=True)
class Row:
    name: str
    category: str
    lifetime: str
    purpose: str
    set_when: str


def _parse(html: str) -> _Table:
    table = _Table()
    table.feed(html)
    return table


def _rows(client: Client | None = None) -> dict[str, Row]:
    page = (client or Client()).get("/cookies/")
    assert page.status_code == 200
    rows = {}
    for name, cells in _parse(page.content.decode()).rows.items():
        assert len(cells) == 5, f"row {name!r} has cells {cells}"
        assert cells[0] == name, f"row {name!r} shows the name {cells[0]!r}"
        rows[name] = Row(*cells)
    return rows


# --- what the store sets --------------------------------------------------------------------


def _set(response: HttpResponseBase) -> dict[str, Morsel]:
    """The cookies a response gives the browser to keep (not the ones it tells it to drop)."""
    return {
        name: morsel
        for name, morsel in response.cookies.items()
        if morsel.value != "" and str(morsel["max-age"]) != "0"
    }


def _dropped(response: HttpResponseBase) -> set[str]:
    return {
        name
        for name, morsel in response.cookies.items()
        if morsel.value == "" or str(morsel["max-age"]) == "0"
    }


def _seconds(morsel: Morsel) -> int | None:
    """How long the browser keeps it: None for a session cookie (no max-age, no expiry)."""
    if morsel["max-age"] == "" and morsel["expires"] == "":
        return None
    assert morsel["max-age"] != "", f"{morsel.key} has an expiry but no max-age"
    return int(morsel["max-age"])


@dataclass
class Visit:
    """One visitor's way through the store: what each step set, dropped and showed."""

    client: Client = field(default_factory=Client)
    kept: dict[str, dict[str, Morsel]] = field(default_factory=dict)
    dropped: dict[str, set[str]] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)

    def step(self, name: str, response: Any) -> Any:
        assert response.status_code < 400, f"{name}: {response.status_code}"
        self.kept[name] = _set(response)
        self.dropped[name] = _dropped(response)
        self.pages[name] = response.content.decode()
        return response

    def get(self, name: str, path: str) -> Any:
        return self.step(name, self.client.get(path))

    def post(self, name: str, path: str, data: dict[str, Any]) -> Any:
        return self.step(name, self.client.post(path, data))

    def choose(self, name: str, **data: str) -> Any:
        return self.post(name, "/cookies/choice/", {"next": "/", **data})

    def everything_set(self) -> dict[str, Morsel]:
        return {n: m for morsels in self.kept.values() for n, m in morsels.items()}


def _shop(visit: Visit) -> None:
    item = factories.product(name="Cookie Cam")
    visit.get("home", "/")
    visit.get("category", item.category.get_absolute_url())
    visit.get("product", item.get_absolute_url())
    visit.get("search", "/search/?q=cookie")
    visit.post("cart add", "/cart/add/", {"sku": item.sku, "quantity": "1"})
    visit.get("cart", "/cart/")


def _account(visit: Visit) -> None:
    email = f"cookie-table-{next(PEOPLE)}@example.com"
    create_account(email=email, password=PASSWORD)
    visit.get("sign-in page", "/accounts/login/")
    visit.post("sign in", "/accounts/login/", {"email": email, "password": PASSWORD})
    visit.get("account centre", "/accounts/")
    visit.post("sign out", "/accounts/logout/", {})
    visit.get("after sign out", "/")


def _full_visit() -> Visit:
    visit = Visit()
    _shop(visit)
    visit.choose("save analytics", choice="save", analytics="on")
    visit.choose("withdraw", choice="reject")
    _account(visit)
    return visit


@dataclass(frozen=True)
class ScriptCookie:
    name: str
    value: str
    max_age: int
    samesite: str


def _script_cookies() -> dict[str, list[ScriptCookie]]:
    """Every cookie the scripts of a page write (`document.cookie = "..."`), by name, in the
    order written; the scripts are the files the page's <script src> load."""
    page = _parse(Client().get("/").content.decode())
    written: dict[str, list[ScriptCookie]] = {}
    for src in page.scripts:
        assert src.startswith(settings.STATIC_URL), src
        found = finders.find(src.removeprefix(settings.STATIC_URL))
        assert found, f"{src} is not a file the store serves"
        text = Path(str(found)).read_text(encoding="utf-8")
        for assignment in re.findall(r"document\.cookie\s*=\s*\"([^\"]*)\"", text):
            pair, *attributes = [part.strip() for part in assignment.split(";")]
            name, value = pair.split("=", 1)
            options = dict(a.split("=", 1) if "=" in a else (a, "") for a in attributes)
            written.setdefault(name, []).append(
                ScriptCookie(name, value, int(options["max-age"]), options.get("SameSite", ""))
            )
    return written


def _lifetime_words(seconds: int | None) -> str:
    """How a lifetime reads to a person: a session cookie, or a length they can picture."""
    if seconds is None:
        return "Session"
    if seconds < 86400:
        return f"{seconds} seconds"
    return f"{seconds // 86400} days"


# --- the tests ------------------------------------------------------------------------------


def test_the_table_lists_exactly_the_cookies_the_store_sets_with_their_real_lifetimes():
    # given a visitor who shops, makes and withdraws a cookie choice, signs in and out
    visit = _full_visit()
    by_responses = visit.everything_set()
    by_script = _script_cookies()
    rows = _rows()
    # then the table names every cookie the store set, and no cookie it never sets
    assert set(rows) == set(by_responses) | set(by_script)
    assert not set(by_responses) & set(by_script)
    # ... a cookie that outlasts nothing is listed as a session cookie, the others with the
    # very lifetime the response gives the browser
    for name, morsel in by_responses.items():
        seconds = _seconds(morsel)
        assert _lifetime_words(seconds) in rows[name].lifetime, (name, seconds, rows[name])
        assert morsel["httponly"], f"{name} is readable by page scripts"
        assert morsel["samesite"] in ("Lax", "Strict"), f"{name} goes with other sites' requests"
    # ... and the script's cookie with the longest it can last (its removal is max-age=0)
    for name, writes in by_script.items():
        longest = max(w.max_age for w in writes)
        assert longest > 0 and _lifetime_words(longest) in rows[name].lifetime, rows[name]
    # (a lifetime is one value: the same cookie never comes with two different lifetimes)
    for name in by_responses:
        lifetimes = {_seconds(m[name]) for m in visit.kept.values() if name in m}
        assert len(lifetimes) == 1, (name, lifetimes)


def test_the_table_puts_each_cookie_in_the_category_whose_consent_it_waits_for():
    rows = _rows()
    # given a visitor who says no to everything, and one who says nothing at all
    refusing, silent = Visit(), Visit()
    refusing.choose("reject", choice="reject")
    for visit in (refusing, silent):
        _shop(visit)
        _account(visit)
    # then every cookie they still get is strictly necessary: it needs no consent
    unasked = set(refusing.everything_set()) | set(silent.everything_set())
    # ... as is the script's probe, which every page writes before any choice
    unasked |= set(_script_cookies())
    assert unasked
    assert {rows[name].category for name in unasked} == {NECESSARY}
    # when a visitor allows one optional category alone
    for label, form in ((ANALYTICS, {"analytics": "on"}), (MARKETING, {"marketing": "on"})):
        visit = Visit()
        visit.choose("allow", choice="save", **form)
        _shop(visit)
        _account(visit)
        waiting = set(visit.everything_set()) - unasked
        # then the cookies it brings, and only those, are listed in that category
        assert {rows[name].category for name in waiting} <= {label}
        assert {name for name, row in rows.items() if row.category == label} == waiting
    # and an optional cookie is a cookie the store really sets after consent: analytics has one
    assert any(row.category == ANALYTICS for row in rows.values())


def test_when_each_cookie_is_set_and_what_it_holds_is_what_the_store_does():
    visit = _full_visit()
    rows = _rows()
    session, csrf = settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME
    shopping = ("home", "category", "product", "search", "cart add", "cart")
    # the session cookie: "only when you sign in ...; shopping never needs it"
    assert all(session not in visit.kept[step] for step in shopping)
    assert session in visit.kept["sign in"]
    assert "sign in" in rows[session].set_when and "Shopping never needs it" in (
        rows[session].set_when
    )
    # the CSRF cookie: "only on pages with an account form"
    assert all(csrf not in visit.kept[step] for step in shopping)
    assert csrf in visit.kept["sign-in page"] and 'name="password"' in visit.pages["sign-in page"]
    assert "account form" in rows[csrf].set_when and "account forms" in rows[csrf].purpose
    # the cart cookie: set when something goes in the cart, a session cookie holding only the
    # random number that opens the cart (it names no product, account or order)
    (cart,) = set(visit.kept["cart add"])
    token = visit.kept["cart add"][cart].value
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert "Cookie Cam" in visit.client.get(f"/cart/{token}/", follow=True).content.decode()
    assert all(cart not in visit.kept[step] for step in ("home", "category", "product", "search"))
    assert "put something in your cart" in rows[cart].set_when
    assert "close your browser" in rows[cart].set_when
    assert "random number that opens the cart" in rows[cart].purpose
    # the consent cookie: written when a choice is made, it holds the receipt's id
    (consent,) = set(visit.kept["withdraw"])
    withdrawal = ConsentReceipt.objects.get(method=ConsentReceipt.Method.REJECT_ALL)
    assert withdrawal.id.hex in visit.kept["withdraw"][consent].value
    assert "make a choice" in rows[consent].set_when and "consent receipt" in rows[consent].purpose
    # the analytics cookie: "only after you accept analytics cookies; removed when you withdraw"
    (visitor,) = set(visit.kept["save analytics"]) - {consent}
    assert visitor in visit.dropped["withdraw"]
    assert "accept analytics" in rows[visitor].set_when and "withdraw" in rows[visitor].set_when
    assert "random number" in rows[visitor].purpose and "statistics" in rows[visitor].purpose
    # the notice cookie: set by signing out, dropped by the page that shows the notice
    (notice,) = set(visit.kept["sign out"])
    assert "You are signed out." in visit.pages["after sign out"]
    assert notice in visit.dropped["after sign out"]
    assert "After an account action" in rows[notice].set_when
    assert "deleted as soon as the notice is shown" in rows[notice].set_when
    assert "one-time notice" in rows[notice].purpose and "signed out" in rows[notice].purpose
    # the script's probe: written and removed at once, holding only "1"
    ((probe, writes),) = _script_cookies().items()
    assert [w.value for w in writes] == ["1", "1"] and writes[-1].max_age == 0
    assert "removed at once" in rows[probe].set_when and "lookout/cookies.js" in (
        rows[probe].set_when
    )
    assert "only '1'" in rows[probe].purpose


def test_the_session_cookie_is_what_keeps_a_person_signed_in():
    create_account(email=EMAIL, password=PASSWORD)
    visit = Visit()
    visit.post("sign in", "/accounts/login/", {"email": EMAIL, "password": PASSWORD})
    session = settings.SESSION_COOKIE_NAME
    # given another browser holding nothing but the session cookie the sign-in set
    holder = Client()
    holder.cookies[session] = visit.kept["sign in"][session].value
    # then it is signed in, and a browser without it is sent to sign in
    assert holder.get("/accounts/").status_code == 200
    assert Client().get("/accounts/")["Location"].startswith("/accounts/login/")
    assert "signed in" in _rows()[session].purpose


SENTENCE_END = re.compile(r"[.!?]['\")]*$")


def _unreadable(text: str) -> list[str]:
    """What keeps `text` from being plain sentences: empty, not ending a sentence, a sentence
    starting in lower case, a word in capitals or with capitals inside it."""
    problems = []
    if not text.strip():
        return ["empty"]
    if not SENTENCE_END.search(text):
        problems.append("does not end a sentence")
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        first = re.search(r"[A-Za-z]", sentence)
        if first and not first.group().isupper():
            problems.append(f"starts in lower case: {sentence[:30]!r}")
    for word in re.findall(r"[A-Za-z]+", text):
        if len(word) > 1 and not (word.islower() or (word[0].isupper() and word[1:].islower())):
            problems.append(f"shouted or garbled word {word!r}")
    return problems


def test_the_purposes_and_when_each_cookie_is_set_are_plain_sentences():
    # given the banner a first-time visitor sees, its "Which cookies?" link leads to the table
    banner = _parse(Client().get("/").content.decode())
    rows = _rows(Client())
    assert banner.links["Which cookies?"] == "/cookies/"
    # then every row says in plain sentences what the cookie is for and when it is set
    for name, row in rows.items():
        for column, text in (("purpose", row.purpose), ("set when", row.set_when)):
            assert not _unreadable(text), f"{name}, {column}: {_unreadable(text)} in {text!r}"
        assert row.category in (NECESSARY, ANALYTICS, MARKETING), row
        assert row.lifetime, row


@pytest.mark.parametrize(
    "text",
    [
        "XXKeeps you signed in.XX",
        "keeps you signed in.",
        "KEEPS YOU SIGNED IN.",
        "Keeps you. it holds only '1'.",
        "None",
        "Keeps the cart XXaddress again, and XX so on.",
    ],
)
def test_the_plain_sentence_check_refuses_garbled_text(text):
    assert _unreadable(text)
