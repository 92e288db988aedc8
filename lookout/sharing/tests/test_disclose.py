"""`disclose`: agreement first (C5.2), only the kind's fields (C5.3), every transfer recorded
(C5.4)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import models
from django.forms.models import model_to_dict

from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.sharing.models import Disclosure, Partner
from lookout.sharing.selectors import disclosures_for
from lookout.sharing.services import (
    DisclosureRefused,
    NoValidAgreement,
    disclose,
    disclose_to_active,
)

from .conftest import ADDRESS, CARD, EMAIL, NAME, PHONE, TODAY

pytestmark = pytest.mark.django_db

MakePartner = Callable[..., Partner]
MakeParcel = Callable[..., models.Model]


def _last_entry() -> AuditEntry:
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    return entry


def _stored_text(*rows: models.Model) -> str:
    """Everything the ledger and audit rows hold, as text, to search for personal values."""
    return json.dumps([model_to_dict(row) | {"pk": str(row.pk)} for row in rows], default=str)


# --- C5.2: a signed agreement in force, first ---------------------------------------------------

AGREEMENT_STATES: dict[str, dict[str, date | None]] = {
    "no agreement": {"signed_on": None, "expires_on": None},
    "expired yesterday": {"signed_on": date(2025, 3, 1), "expires_on": TODAY - timedelta(days=1)},
    "expires today": {"signed_on": date(2025, 3, 1), "expires_on": TODAY},
    "not signed yet": {"signed_on": TODAY + timedelta(days=1)},
}


@pytest.mark.commitment("C5.2")
@pytest.mark.parametrize("state", AGREEMENT_STATES)
def test_a_partner_without_an_agreement_in_force_receives_nothing(
    state: str, make_partner: MakePartner, person: User
) -> None:
    # Given a dispute-resolution vendor whose agreement is missing, expired or not yet signed
    vendor = make_partner("dispute_resolution", **AGREEMENT_STATES[state])
    before = AuditEntry.objects.count()

    # When the store tries to hand it a person's account for a dispute
    with pytest.raises(NoValidAgreement) as refused:
        disclose(partner=vendor, record=person, purpose=Purpose.AFTER_SALES, actor=None)

    # Then it is refused with a clear message, nothing is ledgered, and one audit entry says
    # "refused" (and no reveal entry: nothing was read)
    assert refused.value.status_code == 403
    assert vendor.name in refused.value.message
    assert EMAIL not in refused.value.message
    assert Disclosure.objects.count() == 0
    assert AuditEntry.objects.count() == before + 1
    entry = _last_entry()
    assert (entry.action, entry.outcome) == ("disclosure", "refused")
    assert entry.subject_ref == str(person.subject)
    assert entry.fields == ["accounts.User.email"]
    assert entry.purpose == "after_sales"
    assert entry.detail == {"partner": str(vendor.pk), "kind": vendor.kind, "reason": "agreement"}


@pytest.mark.commitment("C5.2")
@pytest.mark.parametrize(
    ("state", "says"),
    [
        ("no agreement", "has no data agreement on record"),
        ("expires today", "agreement expired on 2027-03-01"),
        ("not signed yet", "agreement takes effect on 2027-03-02"),
    ],
)
def test_the_refusal_says_why(
    state: str, says: str, make_partner: MakePartner, person: User
) -> None:
    vendor = make_partner("dispute_resolution", **AGREEMENT_STATES[state])
    with pytest.raises(NoValidAgreement, match=says):
        disclose(partner=vendor, record=person, purpose=Purpose.AFTER_SALES, actor=None)


@pytest.mark.commitment("C5.2")
def test_the_same_disclosure_goes_through_on_the_agreements_first_day(
    make_partner: MakePartner, person: User
) -> None:
    # The control for the refusals above: an agreement signed today is in force today
    vendor = make_partner("dispute_resolution", signed_on=TODAY)
    payload = disclose(partner=vendor, record=person, purpose=Purpose.AFTER_SALES, actor=None)
    assert payload == {"email": EMAIL}
    assert Disclosure.objects.count() == 1


@pytest.mark.commitment("C5.2")
def test_an_inactive_partner_receives_nothing(make_partner: MakePartner, person: User) -> None:
    vendor = make_partner("dispute_resolution")
    Partner.objects.filter(pk=vendor.pk).update(active=False)
    with pytest.raises(DisclosureRefused, match="no longer an active partner"):
        disclose(partner=vendor, record=person, purpose=Purpose.AFTER_SALES, actor=None)
    assert Disclosure.objects.count() == 0
    assert (_last_entry().action, _last_entry().outcome) == ("disclosure", "refused")


# --- C5.3: only what the job needs ---------------------------------------------------------------


@pytest.mark.commitment("C5.3")
def test_a_carrier_gets_name_address_phone_and_never_the_email_or_card(
    make_partner: MakePartner, make_parcel: MakeParcel
) -> None:
    # Given a parcel record that also holds the buyer's email and card number
    carrier = make_partner("carrier")
    parcel = make_parcel()

    # When it is handed to the carrier
    payload = disclose(partner=carrier, record=parcel, purpose=Purpose.DELIVERY, actor=None)

    # Then the payload holds exactly name, address and phone
    assert payload == {"name": NAME, "address": ADDRESS, "phone": PHONE}
    assert EMAIL not in json.dumps(payload) and CARD not in json.dumps(payload)
    # And the ledger and audit entry name exactly those fields, never the email or the card
    ledger = Disclosure.objects.get()
    assert ledger.fields == [
        "sharing.Parcel.name",
        "sharing.Parcel.address",
        "sharing.Parcel.phone",
    ]
    assert ledger.categories == ["user.contact.address", "user.contact.phone_number", "user.name"]
    entry = _last_entry()
    assert entry.fields == ledger.fields
    for row in (ledger, entry):
        text = _stored_text(row)
        assert "email" not in text and "card" not in text and "financial" not in text
        for value in (EMAIL, CARD, NAME, PHONE, "Example Road"):
            assert value not in text


@pytest.mark.commitment("C5.3")
def test_a_carrier_gets_nothing_from_a_record_that_holds_only_an_email(
    make_partner: MakePartner, person: User
) -> None:
    # Given a carrier with an agreement, and a person's account (its only personal field that
    # could leave is the email)
    carrier = make_partner("carrier")
    before = Disclosure.objects.count()

    # When the account is handed to the carrier, then it is refused and nothing is ledgered
    with pytest.raises(DisclosureRefused, match="Nothing in this record"):
        disclose(partner=carrier, record=person, purpose=Purpose.DELIVERY, actor=None)
    assert Disclosure.objects.count() == before
    entry = _last_entry()
    assert (entry.action, entry.outcome, entry.fields) == ("disclosure", "refused", [])


@pytest.mark.commitment("C5.3")
def test_a_payment_processor_gets_the_name_only(
    make_partner: MakePartner, make_parcel: MakeParcel
) -> None:
    processor = make_partner("payment_processor")
    payload = disclose(
        partner=processor, record=make_parcel(), purpose=Purpose.FULFILMENT, actor=None
    )
    assert payload == {"name": NAME}
    assert Disclosure.objects.get().fields == ["sharing.Parcel.name"]


@pytest.mark.commitment("C5.3")
def test_a_dispute_vendor_gets_name_and_email_and_never_address_phone_or_card(
    make_partner: MakePartner, make_parcel: MakeParcel
) -> None:
    vendor = make_partner("dispute_resolution")
    payload = disclose(
        partner=vendor, record=make_parcel(), purpose=Purpose.AFTER_SALES, actor=None
    )
    assert payload == {"name": NAME, "email": EMAIL}
    assert Disclosure.objects.get().categories == ["user.contact.email", "user.name"]


@pytest.mark.commitment("C5.3")
def test_a_missing_optional_field_is_none_and_not_counted_as_disclosed(
    make_partner: MakePartner, make_parcel: MakeParcel
) -> None:
    carrier = make_partner("carrier")
    payload = disclose(
        partner=carrier, record=make_parcel(phone=None), purpose=Purpose.DELIVERY, actor=None
    )
    assert payload == {"name": NAME, "address": ADDRESS, "phone": None}
    assert Disclosure.objects.get().fields == ["sharing.Parcel.name", "sharing.Parcel.address"]


@pytest.mark.commitment("C5.3")
@pytest.mark.parametrize(
    ("kind", "purpose"),
    [
        ("carrier", Purpose.MARKETING),
        ("carrier", Purpose.AFTER_SALES),
        ("payment_processor", Purpose.DELIVERY),
        ("dispute_resolution", Purpose.MARKETING),
    ],
)
def test_a_purpose_outside_the_partners_job_is_refused(
    kind: str, purpose: Purpose, make_partner: MakePartner, make_parcel: MakeParcel
) -> None:
    partner = make_partner(kind)
    with pytest.raises(DisclosureRefused, match="does not receive personal data for"):
        disclose(partner=partner, record=make_parcel(), purpose=purpose, actor=None)
    assert Disclosure.objects.count() == 0
    entry = _last_entry()
    assert (entry.action, entry.outcome, entry.detail["reason"]) == (
        "disclosure",
        "refused",
        "policy",
    )


@pytest.mark.commitment("C5.3")
def test_a_field_the_access_matrix_does_not_grant_is_refused_and_nothing_is_ledgered(
    make_partner: MakePartner, person: User
) -> None:
    # Given a dispute vendor (refunds are part of its job), but the access matrix does not let
    # the store read an account email for a refund
    vendor = make_partner("dispute_resolution")

    # When the account is handed over for a refund, then the gate refuses and nothing is sent
    with pytest.raises(DisclosureRefused) as refused:
        disclose(partner=vendor, record=person, purpose=Purpose.REFUND, actor=None)
    assert EMAIL not in refused.value.message
    assert Disclosure.objects.count() == 0
    entry = _last_entry()
    assert (entry.action, entry.outcome, entry.detail["reason"]) == (
        "disclosure",
        "refused",
        "matrix",
    )


# --- C5.4: every disclosure recorded ------------------------------------------------------------


@pytest.mark.commitment("C5.4")
def test_every_disclosure_has_a_ledger_row_and_an_audit_entry(
    make_partner: MakePartner, make_parcel: MakeParcel, person: User
) -> None:
    # Given a carrier, a dispute vendor, a parcel and an after-sales clerk acting
    carrier = make_partner("carrier")
    vendor = make_partner("dispute_resolution")
    parcel: Any = make_parcel()
    clerk = create_account(
        email="clerk@example.com", password="staff-long-pass-1", role="after_sales"
    )
    before = AuditEntry.objects.filter(action="disclosure").count()

    # When the parcel goes to the carrier (by the system) and the account to the vendor (by
    # the clerk)
    disclose(partner=carrier, record=parcel, purpose=Purpose.DELIVERY, actor=None)
    disclose(partner=vendor, record=person, purpose=Purpose.AFTER_SALES, actor=clerk)

    # Then each has one ledger row: partner, person, fields, purpose, time, who, which record
    to_carrier = Disclosure.objects.get(partner=carrier)
    assert to_carrier.subject == parcel.subject
    assert to_carrier.purpose == "delivery"
    assert to_carrier.actor_ref == "system"
    assert to_carrier.target == f"sharing.Parcel:{parcel.pk}"
    assert to_carrier.at is not None
    to_vendor = Disclosure.objects.get(partner=vendor)
    assert to_vendor.subject == person.subject
    assert to_vendor.fields == ["accounts.User.email"]
    assert to_vendor.purpose == "after_sales"
    assert to_vendor.actor_ref == str(clerk.subject)
    # And one granted "disclosure" audit entry each, naming the partner
    entries = list(AuditEntry.objects.filter(action="disclosure").order_by("seq"))[before:]
    assert [(e.subject_ref, e.outcome, e.detail["partner"]) for e in entries] == [
        (str(parcel.subject), "granted", str(carrier.pk)),
        (str(person.subject), "granted", str(vendor.pk)),
    ]
    assert entries[1].actor_ref == str(clerk.subject)


@pytest.mark.commitment("C5.4")
def test_disclosures_for_a_person_lists_theirs_only_oldest_first(
    make_partner: MakePartner, make_parcel: MakeParcel, person: User
) -> None:
    # Given two disclosures of one person and one of someone else
    vendor = make_partner("dispute_resolution")
    carrier = make_partner("carrier")
    other = create_account(email="bob@example.com", password="a-long-passphrase-2")
    disclose(partner=vendor, record=person, purpose=Purpose.AFTER_SALES, actor=None)
    disclose(partner=carrier, record=make_parcel(), purpose=Purpose.DELIVERY, actor=None)
    disclose(partner=vendor, record=other, purpose=Purpose.AFTER_SALES, actor=None)
    disclose(partner=vendor, record=person, purpose=Purpose.AFTER_SALES, actor=None)

    # When the person's disclosures are listed (for their access request)
    mine = list(disclosures_for(person.subject))

    # Then both of theirs, and only theirs, are there in order, with the partner at hand
    assert len(mine) == 2
    assert {d.subject for d in mine} == {person.subject}
    assert mine[0].at <= mine[1].at
    assert mine[0].partner.name == vendor.name
    assert list(disclosures_for(other.subject).values_list("subject", flat=True)) == [other.subject]


# --- disclose_to_active: the partner chosen and read as stored by one query ----------------------


@pytest.mark.commitment("C5.2")
@pytest.mark.parametrize("state", AGREEMENT_STATES)
def test_disclosing_to_the_active_partner_needs_one_with_an_agreement_in_force(
    state: str, make_partner: MakePartner, make_parcel: MakeParcel
) -> None:
    make_partner("payment_processor", **AGREEMENT_STATES[state])
    with pytest.raises(NoValidAgreement, match="No active payment processor"):
        disclose_to_active(
            kind="payment_processor", record=make_parcel(), purpose=Purpose.FULFILMENT, actor=None
        )
    assert Disclosure.objects.count() == 0


@pytest.mark.commitment("C5.2")
def test_an_inactive_partner_is_never_the_active_one(
    make_partner: MakePartner, make_parcel: MakeParcel
) -> None:
    processor = make_partner("payment_processor")
    Partner.objects.filter(pk=processor.pk).update(active=False)
    with pytest.raises(NoValidAgreement):
        disclose_to_active(
            kind="payment_processor", record=make_parcel(), purpose=Purpose.FULFILMENT, actor=None
        )
    assert Disclosure.objects.count() == 0


@pytest.mark.commitment("C5.3")
@pytest.mark.commitment("C5.4")
def test_the_active_payment_processor_gets_the_name_only_ledgered_and_audited(
    make_partner: MakePartner, make_parcel: MakeParcel
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    processor = make_partner("payment_processor")
    parcel = make_parcel()
    with CaptureQueriesContext(connection) as queries:
        payload = disclose_to_active(
            kind="payment_processor", record=parcel, purpose=Purpose.FULFILMENT, actor=None
        )
    assert payload == {"name": NAME}
    ledgered = Disclosure.objects.get()
    assert (ledgered.partner_id, ledgered.fields) == (processor.pk, ["sharing.Parcel.name"])
    entry = _last_entry()
    assert (entry.action, entry.outcome) == ("disclosure", "granted")
    assert entry.detail == {"partner": str(processor.pk), "kind": "payment_processor"}
    partner_reads = [q for q in queries.captured_queries if "FROM sharing_partner" in q["sql"]]
    assert len(partner_reads) == 1
