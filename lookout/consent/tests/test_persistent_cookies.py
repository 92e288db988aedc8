"""C7.2: the only cookies that outlast the browser session are the cookie choice and, with
consent, anonymous analytics (privacy policy, section 6). The inventory is what the site may
set (the browser test tests/e2e/test_cookie_inventory_browser.py holds every cookie the browser
really stores to it, lifetime included), so a lifetime given to any other cookie here breaks
the promise. A probe that expires within seconds (the page script's cookie check, removed at
once) does not last longer than a session."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lookout.consent.cookies import CONSENT_COOKIE, Category, inventory

pytestmark = pytest.mark.database_independent


@pytest.mark.commitment("C7.2")
def test_only_the_cookie_choice_and_analytics_outlast_the_session():
    persistent = {
        spec.name
        for spec in inventory()
        if spec.lifetime is not None and spec.lifetime > timedelta(minutes=1)
    }
    others = {
        spec.name
        for spec in inventory()
        if spec.name in persistent
        and spec.name != CONSENT_COOKIE
        and spec.category != Category.ANALYTICS
    }
    assert not others, f"persistent cookies the policy does not allow: {sorted(others)}"
    assert CONSENT_COOKIE in persistent
