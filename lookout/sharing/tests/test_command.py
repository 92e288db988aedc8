"""`lookout partners`: operators register partners and agreements under the same rules."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lookout.sharing.models import DataAgreement, Partner

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("partners", *args, stdout=out)
    return out.getvalue()


def test_an_empty_register_says_nobody_receives_data(today: date) -> None:
    assert "no personal data goes to anyone" in _run("list")


@pytest.mark.commitment("C5.1", "C5.2")
def test_register_then_agreement_then_list(today: date) -> None:
    # When an operator registers a carrier, the listing shows it receives nothing yet
    assert "receives nothing until its data agreement" in _run(
        "register", "Parcel Co", "--kind", "carrier"
    )
    assert "NO AGREEMENT IN FORCE" in _run("list")

    # When the agreement is recorded (by name, case ignored), it is in force
    said = _run(
        "agreement",
        "parcel co",
        "--signed",
        "2027-02-01",
        "--expires",
        "2029-02-01",
        "--reference",
        "DPA-2027-004",
    )
    assert "in force now" in said
    listing = _run("list")
    assert "carrier" in listing and "Parcel Co" in listing
    assert "DPA-2027-004 in force until 2029-02-01" in listing


def test_an_agreement_can_name_the_partner_by_id(today: date) -> None:
    _run("register", "Pay Co", "--kind", "payment_processor")
    partner = Partner.objects.get()
    said = _run(
        "agreement",
        str(partner.pk),
        "--signed",
        "2027-04-01",
        "--expires",
        "2028-04-01",
        "--reference",
        "DPA-9",
    )
    assert "in force from 2027-04-01" in said


@pytest.mark.commitment("C5.1", "C5.5")
@pytest.mark.parametrize("kind", ["advertiser", "data_broker", "competitor"])
def test_the_command_refuses_other_kinds(kind: str, today: date) -> None:
    with pytest.raises(CommandError, match="is not a kind of partner"):
        _run("register", "Ads Inc", "--kind", kind)
    assert Partner.objects.count() == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["agreement", "Nobody", "--signed", "2027-01-01", "--expires", "2028-01-01",
          "--reference", "X"], "No partner named 'Nobody'"),
        (["agreement", "Parcel Co", "--signed", "2027-13-01", "--expires", "2028-01-01",
          "--reference", "X"], "is not a date"),
        (["agreement", "Parcel Co", "--signed", "2027-01-01", "--expires", "2026-01-01",
          "--reference", "X"], "must expire after it is signed"),
        (["register", "Parcel Co", "--kind", "carrier"], "already registered"),
    ],
)  # fmt: skip
def test_bad_input_gets_a_clear_message_and_changes_nothing(
    args: list[str], says: str, today: date
) -> None:
    _run("register", "Parcel Co", "--kind", "carrier")
    with pytest.raises(CommandError, match=says):
        _run(*args)
    assert Partner.objects.count() == 1
    assert DataAgreement.objects.count() == 0
