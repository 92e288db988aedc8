"""What the attempt limiter promises the person it refuses, and the attacker it stops (C4.7).

A refused visitor is told, in words and in Retry-After, how long to wait: the time left in the
window, rounded up, never more than the window and never less than the real wait. The window is
a fixed slice of the clock: the refusal lasts exactly until it ends, and then the budget is whole
again. A counter is deleted by the first attempt after its window, never before its window ends
(whatever time zone the store is set to). A successful sign-in gives back only its own place:
it uses none of the limit, gives nobody else's failures back, and never gives back a place it
did not take (servers whose clocks differ a little near a window's end).
"""

from __future__ import annotations

import time

import pytest
from django.test import Client
from freezegun import freeze_time

from lookout.accounts import throttle
from lookout.accounts.models import AttemptCount, User
from lookout.accounts.services import create_account
from lookout.accounts.tests.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

# 2030-01-01T00:00Z is a multiple of the 900 s window: one window is 00:00-00:15, the next
# 00:15-00:30.
WINDOW_START = "2030-01-01 00:00:00"


@pytest.fixture(autouse=True)
def _windows_of_15_minutes(settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOOKOUT_LOGIN_WINDOW_SECONDS = 900


def _refused_sign_in(settings, ip: str = "192.0.2.10"):  # type: ignore[no-untyped-def]
    """A limit of 1 per account: one wrong password, then the answer to the next attempt."""
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 1
    assert sign_in(Client(), "ann@example.com", "wrong", ip=ip).status_code == 400
    return sign_in(Client(), "ann@example.com", PASSWORD, ip=ip)


@pytest.mark.parametrize(
    "moment, seconds, words",
    [
        (WINDOW_START, 900, "try again in 15 minutes."),  # a whole window, not one more
        ("2030-01-01 00:07:30", 450, "try again in 8 minutes."),  # 7.5 minutes, rounded up
        ("2030-01-01 00:13:59", 61, "try again in 2 minutes."),  # never less than the wait
        ("2030-01-01 00:14:00", 60, "try again in 1 minute."),
        ("2030-01-01 00:14:59.500000", 1, "try again in 1 minute."),  # half a second: 1 s
    ],
)
def test_a_refused_visitor_is_told_the_time_left_in_the_window_in_words(
    customer: User, settings, moment: str, seconds: int, words: str
):
    # given a used-up limit at a moment of the window
    with freeze_time(moment):
        # when the right password is tried
        refused = _refused_sign_in(settings)
    # then the refusal says how long is left, in whole seconds and in minutes a person reads
    assert refused.status_code == 429
    assert refused["Retry-After"] == str(seconds)
    assert f"Too many sign-in attempts; {words}</p>" in refused.content.decode()


def test_the_refusal_lasts_exactly_as_long_as_it_said(customer: User, settings):
    # given a refusal one minute before the window ends
    with freeze_time("2030-01-01 00:14:00") as clock:
        refused = _refused_sign_in(settings)
        wait = int(refused["Retry-After"])
        # when the right password comes a moment before the wait is over, and then when it is
        clock.tick(wait - 0.001)
        too_early = sign_in(Client(), "ann@example.com", PASSWORD, ip="192.0.2.11")
        clock.tick(0.001)
        on_time = sign_in(Client(), "ann@example.com", PASSWORD, ip="192.0.2.12")
    # then it is refused until the moment it was told, and let in from then on
    assert (refused.status_code, wait) == (429, 60)
    assert too_early.status_code == 429
    assert on_time.status_code == 302


def test_a_new_window_gives_the_account_its_whole_budget_again(customer: User, settings):
    # given a limit of 3 used up, and refused, in one window
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 3
    with freeze_time("2030-01-01 00:10:00"):
        for n in range(4):
            sign_in(Client(), "ann@example.com", "wrong", ip=f"192.0.2.{n}")
    # when the next window has begun
    with freeze_time("2030-01-01 00:20:00"):
        wrong = [sign_in(Client(), "ann@example.com", "wrong").status_code for _ in range(3)]
        right = sign_in(Client(), "ann@example.com", PASSWORD)
    # then three more guesses are checked, and the fourth attempt is refused again
    assert wrong == [400, 400, 400]
    assert right.status_code == 429


def test_counters_are_deleted_by_the_first_attempt_after_their_window(settings):
    """The counters are kept for their window only (the data inventory's promise)."""
    # given a failed sign-in in one window: one counter for the email, one for the network
    with freeze_time("2030-01-01 00:07:30"):
        sign_in(Client(), "ann@example.com", "wrong", ip="192.0.2.1")
        first = list(AttemptCount.objects.values_list("count", "expires_at"))
    # when someone else's first attempt comes in the next window
    with freeze_time("2030-01-01 00:15:01"):
        sign_in(Client(), "bob@example.com", "wrong", ip="198.51.100.1")
        left = list(AttemptCount.objects.values_list("count", "expires_at"))
    # then each counter ended with its window, and only the new window's counters are left
    assert [(n, at.isoformat()) for n, at in first] == [(1, "2030-01-01T00:15:00+00:00")] * 2
    assert [(n, at.isoformat()) for n, at in left] == [(1, "2030-01-01T00:30:00+00:00")] * 2


def _a_window_ending_in_minutes() -> int:
    """A window length of about an hour whose current window ends 2 to 60 minutes from now (on
    the real clock), so that no window ends while the test runs."""
    now = time.time()
    return next(n for n in range(3600, 3000, -1) if (now // n + 1) * n - now > 120)


def test_a_counter_outlives_other_peoples_attempts_until_its_window_ends(customer: User, settings):
    """Whatever time zone the store (and so its process) is set to, a counter ends with its
    window: a stranger's first attempt clears nothing still counting.

    On the real clock: freezegun's tz_offset moves its "UTC" too, which would hide the zone."""
    # given a store set to a time zone hours behind UTC (Django makes it the process's local
    # time zone), and an account's limit used up in a window that ends within the hour
    settings.TIME_ZONE = "America/New_York"
    settings.LOOKOUT_LOGIN_WINDOW_SECONDS = _a_window_ending_in_minutes()
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 3
    for n in range(3):
        assert sign_in(Client(), "ann@example.com", "x", ip=f"192.0.2.{n}").status_code == 400
    # when someone else's first attempt of the window comes, from elsewhere
    sign_in(Client(), "bob@example.com", "wrong", ip="198.51.100.1")
    # then the account is still refused, even the right password from a fresh address
    again = sign_in(Client(), "ann@example.com", PASSWORD, ip="203.0.113.5")
    assert again.status_code == 429
    assert AttemptCount.objects.count() == 7  # ann, bob and five networks: none was cleared


def test_signing_in_uses_none_of_the_limit(customer: User, settings):
    # given a limit of 3 and a person who signs in with the right password
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 3
    with freeze_time("2030-01-01 00:01:00"):
        assert sign_in(Client(), "ann@example.com", PASSWORD).status_code == 302
        # when the account is then guessed at
        wrong = [sign_in(Client(), "ann@example.com", "wrong").status_code for _ in range(4)]
    # then all three guesses of the limit are still there, and not one more
    assert wrong == [400, 400, 400, 429]


def test_someone_elses_sign_in_gives_a_guesser_nothing_back(customer: User, settings):
    # given a guesser who used up the limit on ann's account from their network
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 3
    settings.LOOKOUT_LOGIN_LIMIT_PER_IP = 3
    create_account(email="bob@example.com", password=PASSWORD)
    with freeze_time("2030-01-01 00:01:00"):
        for _ in range(3):
            assert sign_in(Client(), "ann@example.com", "x", ip="192.0.2.66").status_code == 400
        # when another person signs in to their own account from another network
        assert sign_in(Client(), "bob@example.com", PASSWORD, ip="198.51.100.7").status_code == 302
        # then neither ann's account nor the guesser's network has a try back
        to_ann = sign_in(Client(), "ann@example.com", PASSWORD, ip="203.0.113.9")
        from_there = sign_in(Client(), "carol@example.com", "x", ip="192.0.2.66")
    assert to_ann.status_code == 429
    assert from_there.status_code == 429


def test_a_success_after_another_server_cleared_its_window_gives_back_nothing_it_did_not_take(
    settings,
):
    """Servers' clocks differ by a little: one that has begun the next window clears the
    counters of the last, while another still counts in it. A check that succeeds there gives
    back no place it did not take: no error, and no counter below zero (a free guess)."""
    settings.LOOKOUT_LOGIN_LIMIT_PER_ACCOUNT = 2
    ann = throttle.login_buckets(email="ann@example.com", ip="192.0.2.1")
    with freeze_time("2030-01-01 00:14:59.900000") as clock:

        def slow_right_password() -> bool:
            # meanwhile a server whose clock is ahead starts the next window: it clears this one
            clock.move_to("2030-01-01 00:15:00.100000")
            throttle.count(buckets=throttle.login_buckets(email="bob@example.com", ip="::1"))
            # and a server still in this window lets ann in: her counter begins again, and ends at 0
            clock.move_to("2030-01-01 00:14:59.950000")
            assert throttle.guarded(buckets=ann, check=lambda: True)
            return True

        # when the slow check succeeds too
        assert throttle.guarded(buckets=ann, check=slow_right_password)
        # then the account still has exactly its 2 failures left in this window
        answers = []
        for _ in range(3):
            try:
                throttle.guarded(buckets=ann, check=lambda: False)
                answers.append("checked")
            except throttle.Throttled:
                answers.append("refused")
    assert answers == ["checked", "checked", "refused"]
