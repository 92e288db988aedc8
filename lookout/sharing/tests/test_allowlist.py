"""The per-kind allowlist (C5.1, C5.3): three kinds, real categories, no email to carriers."""

from __future__ import annotations

import pytest

from lookout.privacy.inventory import fideslang_categories
from lookout.sharing import allowlist
from lookout.sharing.models import PartnerKind

pytestmark = pytest.mark.database_independent


def test_the_allowlist_knows_exactly_the_three_kinds() -> None:
    # A consistency check of two tables, not a proof of C5.1: that other kinds are refused is
    # proved through the command and the service (test_command.py, test_partners.py).
    assert set(allowlist.CATEGORIES) == set(PartnerKind.values) == set(allowlist.PURPOSES)
    assert len(PartnerKind.values) == 3


def test_every_allowed_category_is_a_fideslang_category() -> None:
    known = fideslang_categories()
    for categories in allowlist.CATEGORIES.values():
        assert categories <= known


@pytest.mark.commitment("C5.3")
@pytest.mark.parametrize(
    ("category", "allowed"),
    [
        ("user.name", True),
        ("user.name.last", True),
        ("user.contact.address", True),
        ("user.contact.address.postal_code", True),
        ("user.contact.phone_number", True),
        ("user.contact.email", False),
        ("user.contact", False),
        ("user.financial", False),
        ("user.financial.bank_account", False),
        ("user.payment", False),
        ("user.unique_id", False),
        ("user.contact.addressbook", False),
    ],
)
def test_a_carrier_may_receive_name_address_phone_only(category: str, allowed: bool) -> None:
    assert allowlist.category_allowed(PartnerKind.CARRIER, category) is allowed


@pytest.mark.commitment("C5.3")
def test_no_kind_but_dispute_resolution_may_receive_an_email() -> None:
    for kind in PartnerKind.values:
        expected = kind == PartnerKind.DISPUTE_RESOLUTION
        assert allowlist.category_allowed(kind, "user.contact.email") is expected
        assert not allowlist.category_allowed(kind, "user.financial")
    assert not allowlist.category_allowed("advertiser", "user.name")
