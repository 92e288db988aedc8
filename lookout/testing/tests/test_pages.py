"""`reads_as_machine` finds what a reader should not have to decode, and leaves `<code>`,
attributes and scripts alone (issue 22)."""

from __future__ import annotations

import pytest

from lookout.testing.pages import reads_as_machine

pytestmark = pytest.mark.database_independent


def test_it_finds_dates_codes_and_model_paths_in_the_text() -> None:
    html = (
        "<p>Due 2026-12-07; role privacy_officer; exposed: accounts.User.email,"
        " orders.Delivery.postal_code</p>"
    )
    assert reads_as_machine(html) == [
        "2026-12-07",
        "accounts.User.email",
        "orders.Delivery.postal_code",
        "privacy_officer",
        "postal_code",
    ]


def test_it_leaves_code_attributes_and_plain_sentences_alone() -> None:
    html = (
        '<p title="accounts.User.email">Email address (account), seen 7 December 2026.'
        " Ask J. Smith. See example.com.</p><code>accounts.User.email</code>"
        "<script>let a = 'in_progress'</script>"
    )
    assert reads_as_machine(html) == []
