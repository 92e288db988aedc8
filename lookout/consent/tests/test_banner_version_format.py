"""A banner version names its words, in every release (C7.3).

A consent receipt stores the version of the banner text the visitor saw. For that to prove
what they were shown, the same words must give the same version whatever order the words are
written in, in every process and every release: the first 16 hex digits of SHA-256 over the
words as sorted, compact UTF-8 JSON. A sample banner (with a non-ASCII dash and accent) pins it.
"""

from __future__ import annotations

import pytest

from lookout.consent import banner

SAMPLE = {"title": "Cookies — à la carte", "accept": "Accept all", "reject": "Reject all"}
SAMPLE_VERSION = "b43b886c641947af"


@pytest.fixture
def sample_words(monkeypatch):
    def use(words: dict[str, str]) -> str:
        monkeypatch.setattr(banner, "TEXT", words)
        banner.version.cache_clear()
        return banner.version()

    yield use
    banner.version.cache_clear()


def test_the_same_words_give_the_version_every_release_gave_them(sample_words):
    assert sample_words(SAMPLE) == SAMPLE_VERSION


def test_the_order_the_words_are_written_in_does_not_change_the_version(sample_words):
    reordered = dict(reversed(list(SAMPLE.items())))
    assert list(reordered) != list(SAMPLE)
    assert sample_words(reordered) == SAMPLE_VERSION
