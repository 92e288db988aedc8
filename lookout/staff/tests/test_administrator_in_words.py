"""The administrator's page gives a partner agreement's dates as a person reads them, the
machine date kept in `<time datetime>`, and no raw code in its text (issue 22)."""

from __future__ import annotations

import pytest

from lookout.access.roles import Role
from lookout.sharing.models import DataAgreement
from lookout.testing.pages import reads_as_machine

pytestmark = pytest.mark.django_db


def _day(day) -> str:  # type: ignore[no-untyped-def]
    return f'<time datetime="{day:%Y-%m-%d}">{day.day} {day:%B %Y}</time>'


def test_agreement_dates_read_as_words(staff, partners) -> None:
    staff(Role.AFTER_SALES)  # a colleague in the staff table, with a role to name
    _, client = staff(Role.ADMINISTRATOR)
    page = client.get("/staff/administrator/").content.decode()

    agreement = DataAgreement.objects.first()
    assert agreement is not None
    assert f"{_day(agreement.signed_on)} to {_day(agreement.expires_on)}" in page
    assert reads_as_machine(page) == [], reads_as_machine(page)
