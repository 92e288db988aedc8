"""A masked value lets a reader recognise it, never use it (C4.3: a role granted `masked` sees
this, not the value). Every kind of personal value the gate can mask is checked here, not only
the emails today's grants mask: a future masked grant of a phone or a name relies on these."""

from __future__ import annotations

import pytest

from lookout.access.masks import DOT, mask

pytestmark = [pytest.mark.commitment("C4.3"), pytest.mark.database_independent]


def test_a_phone_number_shows_only_its_last_two_digits():
    assert mask("user.contact.phone_number", "+44 20 7946 0958") == f"{DOT}58"
    assert mask("user.contact.phone_number", "(555) 010-4477") == f"{DOT}77"


def test_a_phone_number_of_four_digits_or_fewer_shows_none():
    # two of four digits would be half the number
    assert mask("user.contact.phone_number", "1234") == DOT
    assert mask("user.contact.phone_number", "12345") == f"{DOT}45"


def test_a_name_shows_only_the_initial_of_each_part():
    assert mask("user.name", "Ann Marie Smith") == f"A{DOT} M{DOT} S{DOT}"
    assert mask("user.name.first", "  Ann ") == f"A{DOT}"


def test_an_empty_name_is_still_a_mask():
    assert mask("user.name", "") == DOT
    assert mask("user.name", "   ") == DOT


def test_an_email_shows_first_letters_and_top_level_domain_only():
    assert mask("user.contact.email", "ann@example.com") == f"a{DOT}@e{DOT}.com"
    assert mask("user.contact.email", "ann@localhost") == f"a{DOT}@{DOT}"
    assert mask("user.contact.email", "not-an-address") == DOT


def test_any_other_personal_value_is_masked_entirely():
    assert mask("user.contact.address", "1 High Street") == DOT
    assert mask("user.content", "a note") == DOT
    assert mask("user.contact.address", None) is None
