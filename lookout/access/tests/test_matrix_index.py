"""The grant table as the gate reads it: each grant's cells, and a cell never granted twice
(C3.1, C4.3). Which cells are granted is proven read by read in test_matrix.py and by the
access-control walk (tests/security)."""

from __future__ import annotations

import pytest

from lookout.access import matrix
from lookout.access.matrix import SELF, SYSTEM, Grant, Level, grant
from lookout.access.roles import Role
from lookout.core.purposes import Purpose


@pytest.mark.commitment("C3.1", "C4.3")
def test_a_grant_names_its_reader_its_field_each_purpose_and_its_level() -> None:
    assert grant(Role.FINANCE, "orders.Delivery.name", Purpose.REFUND, level=Level.MASKED) == (
        Grant(
            reader=Role.FINANCE,
            field="orders.Delivery.name",
            purposes=frozenset({Purpose.REFUND}),
            level=Level.MASKED,
        )
    )
    # unless it says otherwise, a grant is of the value in full
    assert grant(SELF, "accounts.User.email", Purpose.SELF_SERVICE, Purpose.SUBJECT_REQUEST) == (
        Grant(
            reader=SELF,
            field="accounts.User.email",
            purposes=frozenset({Purpose.SELF_SERVICE, Purpose.SUBJECT_REQUEST}),
            level=Level.FULL,
        )
    )


@pytest.mark.commitment("C3.1", "C4.3")
def test_each_purpose_of_a_grant_is_a_cell_of_its_own_at_the_grants_level() -> None:
    cells = matrix._index(
        (
            grant(Role.FINANCE, "accounts.User.email", Purpose.REFUND, level=Level.MASKED),
            grant(SYSTEM, "accounts.User.email", Purpose.ACCOUNT_NOTICE, Purpose.MARKETING),
        )
    )
    assert cells == {
        ("finance", "accounts.User.email", Purpose.REFUND): Level.MASKED,
        ("system", "accounts.User.email", Purpose.ACCOUNT_NOTICE): Level.FULL,
        ("system", "accounts.User.email", Purpose.MARKETING): Level.FULL,
    }


@pytest.mark.commitment("C3.1", "C4.3")
def test_a_cell_granted_twice_is_refused_naming_the_cell() -> None:
    # given two grants that both cover (after-sales, email, after-sales), one of them masked:
    # which one the gate would follow must never depend on the order of the table
    full = grant(Role.AFTER_SALES, "accounts.User.email", Purpose.AFTER_SALES)
    masked = grant(
        Role.AFTER_SALES,
        "accounts.User.email",
        Purpose.AFTER_SALES,
        Purpose.REFUND,
        level=Level.MASKED,
    )
    with pytest.raises(ValueError, match=r"Grant declared twice: \('after_sales', "):
        matrix._index((full, masked))


@pytest.mark.commitment("C3.1", "C4.3")
def test_the_shops_table_grants_no_cell_twice_and_the_gate_reads_it() -> None:
    cells = matrix._index(matrix.GRANTS)
    assert matrix.cells() == cells
    assert matrix.level_for(Role.FINANCE, "accounts.User.email", Purpose.REFUND) is Level.MASKED
    assert matrix.level_for(Role.FINANCE, "accounts.User.email", Purpose.MARKETING) is None
