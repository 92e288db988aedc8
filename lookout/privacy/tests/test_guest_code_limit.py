"""Guesses at guests' one-time codes go through the attempt limiter per client network
(issue 19, finding 1; decision 0032). Each challenge already allowed only a few guesses, but a
network could start challenge after challenge (the starts are limited separately) and spread
its guesses over all of them; now its wrong guesses are one budget, shared with every other
password and code check from that network."""

from __future__ import annotations

import pytest
from django.test import Client

from lookout.privacy.models import Kind, SubjectRequest
from lookout.privacy.tests.conftest import GUEST_EMAIL

pytestmark = pytest.mark.django_db


@pytest.mark.commitment("C6.1", "C4.7")
def test_wrong_codes_from_one_network_are_limited_across_challenges(
    guest_order, sent_code, settings
):
    # given a per-network limit of 4, and two challenges for the same order started from
    # different networks (the start limit is not what is tested)
    settings.LOOKOUT_LOGIN_LIMIT_PER_IP = 4
    first, _ = sent_code(
        Client(REMOTE_ADDR="192.0.2.1"),
        email=GUEST_EMAIL,
        number=guest_order.number,
        kind=Kind.ACCESS,
    )
    second, code = sent_code(
        Client(REMOTE_ADDR="192.0.2.2"),
        email=GUEST_EMAIL,
        number=guest_order.number,
        kind=Kind.ACCESS,
    )
    assert code is not None
    wrong = "000000" if code != "000000" else "111111"
    guesser = Client(REMOTE_ADDR="203.0.113.40")
    # when one network guesses twice at each challenge
    answers = [
        guesser.post("/privacy/guest/code/", {"challenge": c, "code": wrong}).status_code
        for c in (first, first, second, second)
    ]
    # then the next guess from that network is refused unchecked, even the right code
    late = guesser.post("/privacy/guest/code/", {"challenge": second, "code": code})
    assert answers == [400, 400, 400, 400]
    assert late.status_code == 429
    assert "Too many code attempts; try again in" in late.content.decode()
    assert int(late["Retry-After"]) > 0
    assert SubjectRequest.objects.count() == 0
    # and the guest with the code, on their own network, still gets in
    owner = Client(REMOTE_ADDR="192.0.2.2")
    assert (
        owner.post("/privacy/guest/code/", {"challenge": second, "code": code}).status_code == 302
    )
    assert SubjectRequest.objects.count() == 1
