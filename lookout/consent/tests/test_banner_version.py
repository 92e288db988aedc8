"""Each consent receipt names the banner text the visitor saw (C7.3): change a word of the banner
and new receipts name a new version by themselves, while the receipts already given keep theirs."""

from __future__ import annotations

import pytest
from django.test import Client

from lookout.consent import banner
from lookout.consent.models import ConsentReceipt

pytestmark = pytest.mark.django_db


def _reject() -> ConsentReceipt:
    before = set(ConsentReceipt.objects.values_list("pk", flat=True))
    Client().post("/cookies/choice/", {"next": "/", "choice": "reject"})
    return ConsentReceipt.objects.exclude(pk__in=before).get()


@pytest.fixture
def fresh_version():
    """The version is computed once per process; recompute it around a change of the words."""
    banner.version.cache_clear()
    yield
    banner.version.cache_clear()


@pytest.mark.commitment("C7.3")
@pytest.mark.parametrize("key", ["title", "reject", "gpc"])
def test_a_changed_word_gives_new_receipts_a_new_version_and_old_ones_keep_theirs(
    key, monkeypatch, fresh_version
):
    # given a receipt given under the current banner
    first = _reject()
    seen = first.banner_version

    # when one word of the banner changes
    monkeypatch.setitem(banner.TEXT, key, banner.TEXT[key] + " now")
    banner.version.cache_clear()
    second = _reject()

    # then the new receipt names another version, and the first still names the one it saw
    assert second.banner_version != seen
    first.refresh_from_db()
    assert first.banner_version == seen


@pytest.mark.commitment("C7.3")
def test_the_same_words_always_give_the_same_version(fresh_version):
    first = _reject()
    banner.version.cache_clear()
    second = _reject()

    assert first.banner_version == second.banner_version != ""
