"""The `visitor` column (C2.4): linked visits only with consent, and a daily hash whose salt
every process of the shop shares for the day and nobody keeps after it."""

from __future__ import annotations

import secrets
from datetime import date

import pytest

from lookout.analytics import visitors
from lookout.analytics.models import DailySalt, Event

pytestmark = [pytest.mark.django_db, pytest.mark.commitment("C2.4")]

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0.0.0 Safari/537.36"
DAY = date(2026, 3, 14)
COLUMN = Event._meta.get_field("visitor").max_length or 0


@pytest.fixture(autouse=True)
def new_process():
    """Each test starts as a new process does: no salt remembered from an earlier test."""
    visitors.forget_cached_salts()
    yield
    visitors.forget_cached_salts()


def _daily(ip: str = "203.0.113.0/24", user_agent: str = CHROME, day: date = DAY) -> str:
    return visitors.daily_visitor(day=day, ip=ip, user_agent=user_agent, host="shop.example")


def test_a_consented_visitor_is_linked_by_a_value_that_is_not_their_cookie():
    cookie, other = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    linked = visitors.consented_visitor(cookie)
    assert linked == visitors.consented_visitor(cookie)  # the same browser, visit after visit
    assert linked != visitors.consented_visitor(other)  # another browser, another value
    assert cookie not in linked and len(linked) == COLUMN


def test_every_process_uses_the_salt_the_first_one_made_for_the_day():
    first = _daily()
    visitors.forget_cached_salts()  # another worker process, which has remembered nothing
    assert _daily() == first
    assert DailySalt.objects.filter(day=DAY).count() == 1


def test_a_salt_already_made_for_the_day_is_used_not_replaced():
    made = DailySalt.objects.create(day=DAY, salt=secrets.token_hex(32))
    first = _daily()
    assert DailySalt.objects.get(day=DAY).salt == made.salt  # used, not replaced
    # and the value follows the stored salt: another salt (another day's database), another value
    DailySalt.objects.filter(day=DAY).update(salt=secrets.token_hex(32))
    visitors.forget_cached_salts()
    assert _daily() != first


def test_the_daily_value_differs_by_network_browser_and_day_and_fits_its_column():
    value = _daily()
    assert len(value) == COLUMN
    assert value != _daily(ip="198.51.100.0/24")
    assert value != _daily(user_agent=CHROME.replace("140", "141"))
    assert value != _daily(day=date(2026, 3, 15))


def test_a_salt_is_random_enough_and_fits_its_column():
    _daily()
    salt = DailySalt.objects.get(day=DAY).salt
    int(salt, 16)  # hex from the system's random source (secrets)
    column = DailySalt._meta.get_field("salt").max_length
    assert column is not None and 32 <= len(salt) <= column  # 128 bits or more, and it fits
