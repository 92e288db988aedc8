"""`disclose` in detail: who and what its ledger rows and audit entries name, what a refusal
says, and the partner register's text checks (C5.1 to C5.4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from django.utils.functional import SimpleLazyObject
from freezegun import freeze_time

from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.sharing.models import DataAgreement, Disclosure, Partner
from lookout.sharing.services import (
    DisclosureRefused,
    NoValidAgreement,
    PartnerRefused,
    disclose,
    disclose_to_active,
    record_agreement,
    register_partner,
)

from .conftest import EMAIL, TODAY

MakePartner = Callable[..., Partner]
MakeParcel = Callable[..., models.Model]


def _last_entry() -> AuditEntry:
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    return entry


def _clerk() -> User:
    return create_account(
        email="clerk@example.com", password="staff-long-pass-1", role="after_sales"
    )


# --- who acted: the staff member, the store itself, a visitor ----------------------------------


@pytest.mark.commitment("C5.2", "C5.4")
@pytest.mark.django_db
def test_a_refused_disclosure_is_audited_as_the_staff_member_who_asked_for_that_record(
    make_partner: MakePartner, person: User
) -> None:
    # Given a dispute vendor with no agreement on record, and an after-sales clerk
    vendor = make_partner("dispute_resolution", signed_on=None, expires_on=None)
    clerk = _clerk()

    # When the clerk tries to hand the person's account to the vendor
    with pytest.raises(NoValidAgreement):
        disclose(partner=vendor, record=person, purpose=Purpose.AFTER_SALES, actor=clerk)

    # Then the refusal's audit entry names the clerk (not the store) and the record refused
    entry = _last_entry()
    assert (entry.action, entry.outcome) == ("disclosure", "refused")
    assert (entry.actor_ref, entry.actor_role) == (str(clerk.subject), "after_sales")
    assert entry.target == f"accounts.User:{person.pk}"
    assert entry.purpose == "after_sales"
    assert entry.detail == {"partner": str(vendor.pk), "kind": vendor.kind, "reason": "agreement"}
    assert Disclosure.objects.count() == 0


@pytest.mark.commitment("C5.4")
@pytest.mark.django_db
def test_a_granted_disclosure_is_audited_with_its_purpose_its_record_and_who_asked(
    make_partner: MakePartner, make_parcel: MakeParcel
) -> None:
    # Given a carrier with an agreement, a parcel and an after-sales clerk
    carrier = make_partner("carrier")
    parcel = make_parcel()
    clerk = _clerk()

    # When the clerk sends the parcel to the carrier for delivery
    disclose(partner=carrier, record=parcel, purpose=Purpose.DELIVERY, actor=clerk)

    # Then the granted audit entry says for what, which record and who
    entry = _last_entry()
    assert (entry.action, entry.outcome) == ("disclosure", "granted")
    assert entry.purpose == "delivery"
    assert entry.target == f"sharing.Parcel:{parcel.pk}"
    assert entry.actor_ref == str(clerk.subject)
    assert entry.fields == ["sharing.Parcel.name", "sharing.Parcel.address", "sharing.Parcel.phone"]


@pytest.mark.commitment("C5.4")
@pytest.mark.django_db
def test_disclosing_to_the_active_partner_records_the_staff_member_who_asked(
    make_partner: MakePartner, make_parcel: MakeParcel
) -> None:
    # Given the active payment processor, a parcel and an after-sales clerk
    processor = make_partner("payment_processor")
    parcel = make_parcel()
    clerk = _clerk()

    # When the clerk sends the parcel to whichever processor is active
    disclose_to_active(
        kind="payment_processor", record=parcel, purpose=Purpose.FULFILMENT, actor=clerk
    )

    # Then the ledger row and the audit entry name the clerk, not the store
    ledgered = Disclosure.objects.get()
    assert ledgered.partner_id == processor.pk
    assert ledgered.actor_ref == str(clerk.subject)
    entry = _last_entry()
    assert (entry.action, entry.outcome) == ("disclosure", "granted")
    assert entry.actor_ref == str(clerk.subject)


@pytest.mark.commitment("C5.4")
@pytest.mark.django_db
def test_a_visitor_who_is_not_signed_in_is_ledgered_as_anonymous(
    make_partner: MakePartner, make_parcel: MakeParcel
) -> None:
    # Given a carrier, a parcel, and request.user of a visitor who has not signed in
    carrier = make_partner("carrier")
    visitor: Any = SimpleLazyObject(AnonymousUser)

    # When the parcel is sent with that visitor as the actor
    disclose(partner=carrier, record=make_parcel(), purpose=Purpose.DELIVERY, actor=visitor)

    # Then the ledger row and the audit entry both say "anonymous": neither the store nor anyone
    assert Disclosure.objects.get().actor_ref == "anonymous"
    assert _last_entry().actor_ref == "anonymous"


# --- the record: its model and its person ------------------------------------------------------


@pytest.mark.commitment("C5.3", "C5.4")
@pytest.mark.django_db
def test_request_user_given_lazily_is_disclosed_as_the_account_it_wraps(
    make_partner: MakePartner, person: User
) -> None:
    # Given a dispute vendor, and the person's account as a view holds it (request.user is a
    # lazy object that loads the account on first use)
    vendor = make_partner("dispute_resolution")
    lazily: Any = SimpleLazyObject(lambda: person)

    # When it is handed to the vendor
    payload = disclose(partner=vendor, record=lazily, purpose=Purpose.AFTER_SALES, actor=None)

    # Then the vendor receives the email, and the ledger names the account's own fields
    assert payload == {"email": EMAIL}
    ledgered = Disclosure.objects.get()
    assert ledgered.subject == person.subject
    assert ledgered.fields == ["accounts.User.email"]
    assert ledgered.target == f"accounts.User:{person.pk}"


@pytest.mark.commitment("C5.3")
@pytest.mark.django_db
def test_a_record_with_no_persons_data_is_refused_with_a_message_saying_so(
    make_partner: MakePartner,
) -> None:
    # Given a carrier with an agreement, and a record that is nobody's personal data
    carrier = make_partner("carrier")
    before = AuditEntry.objects.count()

    # When that record is handed to the carrier
    with pytest.raises(ValueError) as refused:
        disclose(partner=carrier, record=carrier, purpose=Purpose.DELIVERY, actor=None)

    # Then the message names the model and says one person's record goes at a time; nothing is
    # ledgered or audited
    assert str(refused.value) == (
        "sharing.Partner holds no personal data of exactly one person; "
        "disclose() sends one person's record at a time."
    )
    assert Disclosure.objects.count() == 0
    assert AuditEntry.objects.count() == before


# --- what a refusal says -----------------------------------------------------------------------


@pytest.mark.commitment("C5.1")
@pytest.mark.django_db
def test_a_partner_that_was_never_registered_receives_nothing(
    make_parcel: MakeParcel, today: date
) -> None:
    # Given a carrier built in code but never registered
    stranger = Partner(name="Unknown Parcels", kind="carrier")
    clerk, parcel = _clerk(), make_parcel()

    # When a clerk hands a parcel to it
    with pytest.raises(DisclosureRefused) as refused:
        disclose(partner=stranger, record=parcel, purpose=Purpose.DELIVERY, actor=clerk)

    # Then it is refused, saying only a registered partner may receive personal data
    assert refused.value.status_code == 403
    assert refused.value.message == "Only a registered partner may receive personal data."
    assert Disclosure.objects.count() == 0
    # and the refusal is on the audit log like every other, naming the kind and why
    [entry] = AuditEntry.objects.filter(action="disclosure")
    assert entry.outcome == "refused"
    assert entry.purpose == str(Purpose.DELIVERY)
    assert entry.detail["kind"] == "carrier" and entry.detail["reason"] == "unregistered"
    assert (entry.actor_ref, entry.subject_ref) == (str(clerk.subject), str(parcel.subject))  # type: ignore[attr-defined]


@pytest.mark.commitment("C5.3")
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "purpose", "says"),
    [
        (
            "carrier",
            Purpose.MARKETING,
            "A logistics carrier does not receive personal data for marketing with consent.",
        ),
        (
            "payment_processor",
            Purpose.DELIVERY,
            "A payment processor does not receive personal data for delivery.",
        ),
        (
            "dispute_resolution",
            Purpose.ACCOUNT_NOTICE,
            "A dispute-resolution vendor does not receive personal data for account notice.",
        ),
    ],
)
def test_a_purpose_outside_the_job_is_refused_naming_the_kind_and_the_purpose(
    kind: str, purpose: Purpose, says: str, make_partner: MakePartner, make_parcel: MakeParcel
) -> None:
    # Given a partner with an agreement; when a parcel is handed to it for another job
    partner = make_partner(kind)
    with pytest.raises(DisclosureRefused) as refused:
        disclose(partner=partner, record=make_parcel(), purpose=purpose, actor=None)

    # Then the message names its kind and the purpose, in plain words
    assert refused.value.message == says


@pytest.mark.commitment("C5.3")
@pytest.mark.django_db
def test_a_record_with_nothing_the_kind_may_receive_is_refused_naming_the_kind(
    make_partner: MakePartner, person: User
) -> None:
    # Given a carrier, and an account (its only field that could leave is the email)
    carrier = make_partner("carrier")

    # When the account is handed to the carrier, then the message names the kind
    with pytest.raises(DisclosureRefused) as refused:
        disclose(partner=carrier, record=person, purpose=Purpose.DELIVERY, actor=None)
    assert refused.value.message == (
        "Nothing in this record is data a logistics carrier may receive."
    )


@pytest.mark.commitment("C5.2")
@pytest.mark.django_db
def test_a_refusal_a_moment_before_midnight_says_why_on_the_day_it_was_decided(
    make_partner: MakePartner, person: User
) -> None:
    # Given a dispute vendor whose agreement takes effect tomorrow
    vendor = make_partner("dispute_resolution", signed_on=TODAY + timedelta(days=1))

    # When its disclosure is asked for at 23:59:59 and the clock passes midnight while it runs
    # (every reading of the clock after the first is a second later)
    with (
        freeze_time("2027-03-01 23:59:59", auto_tick_seconds=1),
        pytest.raises(NoValidAgreement) as refused,
    ):
        disclose(partner=vendor, record=person, purpose=Purpose.AFTER_SALES, actor=None)

    # Then the refusal gives the reason of the day it was decided on (not yet in force), not a
    # reason made up on the next day, when the agreement is in force and has not expired
    assert refused.value.message == (
        f"{vendor.name}'s data agreement takes effect on 2027-03-02; "
        "nothing may be sent to it before then."
    )
    assert Disclosure.objects.count() == 0


# --- the ledger row commits with the caller's change, or neither does -------------------------


@pytest.mark.commitment("C5.4")
@pytest.mark.django_db
def test_when_the_disclosure_cannot_be_audited_the_callers_change_is_not_kept(
    make_partner: MakePartner, make_parcel: MakeParcel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lookout.audit import services as audit

    # Given a carrier, and an audit log that fails to write a granted disclosure
    carrier = make_partner("carrier")
    write = audit.record

    class AuditDown(Exception):
        pass

    def failing(**values: Any) -> AuditEntry:
        if values.get("outcome") == "granted":
            raise AuditDown("the audit log is unavailable")
        return write(**values)

    monkeypatch.setattr(audit, "record", failing)

    # When a caller creates a parcel and discloses it in one transaction of its own, and
    # carries on after the failure
    with transaction.atomic():
        parcel = make_parcel()
        with pytest.raises(AuditDown):
            disclose(partner=carrier, record=parcel, purpose=Purpose.DELIVERY, actor=None)

    # Then the caller's change was rolled back with the disclosure: nothing of it is kept
    assert not type(parcel)._default_manager.filter(pk=parcel.pk).exists()
    assert Disclosure.objects.count() == 0


# --- the partner register's text ---------------------------------------------------------------


@pytest.mark.commitment("C5.1")
@pytest.mark.django_db
def test_a_partners_name_of_exactly_the_longest_length_is_accepted(today: date) -> None:
    # Given a name of 100 characters once its spaces are tidied
    name = "  " + "N" * 100 + "  "

    # When an operator registers it, then it is stored, tidied
    partner = register_partner(name=name, kind="carrier", actor=None)
    assert Partner.objects.get(pk=partner.pk).name == "N" * 100


@pytest.mark.commitment("C5.2")
@pytest.mark.django_db
def test_a_document_reference_of_exactly_the_longest_length_is_accepted(today: date) -> None:
    # Given a registered carrier and a document reference of 200 characters
    partner = register_partner(name="Parcel Co", kind="carrier", actor=None)

    # When its agreement is recorded, then the reference is stored whole
    agreement = record_agreement(
        partner=partner,
        signed_on=TODAY,
        expires_on=TODAY + timedelta(days=365),
        document_reference="R" * 200,
        actor=None,
    )
    assert DataAgreement.objects.get(pk=agreement.pk).document_reference == "R" * 200


@pytest.mark.commitment("C5.1")
@pytest.mark.django_db
@pytest.mark.parametrize("name", ["ann.example@example.com", "Call +1 202 555 0143"])
def test_a_partner_named_with_personal_data_is_refused_saying_what_to_write(
    name: str, today: date
) -> None:
    # When an operator registers a "partner" whose name is an email or a phone number
    with pytest.raises(PartnerRefused) as refused:
        register_partner(name=name, kind="carrier", actor=None)

    # Then the message says what it looks like and what to write instead; nothing is stored
    assert refused.value.message == (
        "The partner's name looks like personal data (an email, phone or card number); "
        "write a company name or a document reference."
    )
    assert Partner.objects.count() == 0
