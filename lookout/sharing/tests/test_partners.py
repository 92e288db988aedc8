"""Registering partners and their agreements (C5.1, C5.2, C5.5)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from lookout.audit.models import AuditEntry
from lookout.sharing.models import DataAgreement, Partner, PartnerKind
from lookout.sharing.services import (
    NoValidAgreement,
    PartnerExists,
    PartnerRefused,
    active_partner,
    record_agreement,
    register_partner,
)

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.mark.commitment("C5.1")
@pytest.mark.parametrize("kind", PartnerKind.values)
def test_each_of_the_three_kinds_can_be_registered(kind: str) -> None:
    # Given no partners; when an operator registers one of the three kinds
    partner = register_partner(name="Acme Partner", kind=kind, actor=None)

    # Then it is stored, active, and the registration is on the audit log
    assert Partner.objects.get(pk=partner.pk).kind == kind
    assert partner.active
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert entry.action == "partner.registered"
    assert entry.target == f"sharing.Partner:{partner.pk}"


@pytest.mark.commitment("C5.1", "C5.5")
@pytest.mark.parametrize(
    "kind",
    ["advertiser", "data_broker", "broker", "competitor", "marketing", "analytics", "", "carrier2"],
)
def test_any_other_kind_is_refused_and_nothing_is_written(kind: str) -> None:
    before = AuditEntry.objects.count()

    # When an operator tries to register a partner of another kind
    with pytest.raises(PartnerRefused) as refused:
        register_partner(name="Ad Network Inc", kind=kind, actor=None)

    # Then the message says which kinds exist and that data is never sold, and nothing is stored
    assert refused.value.status_code == 400
    message = refused.value.message
    assert "carrier" in message and "payment processor" in message
    assert "dispute-resolution vendor" in message and "never with advertisers" in message
    assert Partner.objects.count() == 0
    assert AuditEntry.objects.count() == before


@pytest.mark.commitment("C5.1", "C5.5")
@pytest.mark.parametrize("kind", ["advertiser", "data_broker", "competitor"])
def test_the_database_refuses_a_raw_insert_of_another_kind(kind: str) -> None:
    # When code bypasses the service and the model with a raw INSERT
    table = Partner._meta.db_table
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, name, kind, active, registered_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            [uuid.uuid4().hex, "Sneaky Broker", kind, True, timezone.now()],
        )
    # Then the CHECK constraint refused it
    assert Partner.objects.count() == 0


@pytest.mark.commitment("C5.1")
def test_a_raw_insert_of_an_allowed_kind_passes_the_same_check() -> None:
    # The control for the test above: the constraint refuses the kind, not every raw insert.
    table = Partner._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, name, kind, active, registered_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            [uuid.uuid4().hex, "Parcel Co", "carrier", True, timezone.now()],
        )
    assert Partner.objects.get().kind == PartnerKind.CARRIER


def test_kind_is_read_without_regard_to_case_and_spaces() -> None:
    assert register_partner(name="Parcel Co", kind=" Carrier ", actor=None).kind == "carrier"


def test_a_second_partner_with_the_same_name_is_refused() -> None:
    register_partner(name="Parcel Co", kind="carrier", actor=None)
    with pytest.raises(PartnerExists) as refused:
        register_partner(name="  parcel   CO ", kind="carrier", actor=None)
    assert refused.value.status_code == 409
    assert Partner.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "Give the partner's name"),
        ("   ", "Give the partner's name"),
        ("x" * 101, "at most 100 characters"),
        ("ann@example.com", "looks like personal data"),
    ],
)
def test_a_bad_name_is_refused_with_a_clear_message(name: str, says: str) -> None:
    with pytest.raises(PartnerRefused) as refused:
        register_partner(name=name, kind="carrier", actor=None)
    assert says in refused.value.message
    assert Partner.objects.count() == 0


@pytest.mark.commitment("C5.2")
def test_an_agreement_is_recorded_and_audited(today: date) -> None:
    partner = register_partner(name="Parcel Co", kind="carrier", actor=None)
    agreement = record_agreement(
        partner=partner,
        signed_on=TODAY,
        expires_on=date(2029, 3, 1),
        document_reference="DPA-2027-004",
        actor=None,
    )
    assert DataAgreement.objects.get(pk=agreement.pk).document_reference == "DPA-2027-004"
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert entry.action == "partner.agreement_recorded"
    assert entry.detail["expires_on"] == "2029-03-01"


@pytest.mark.parametrize(
    ("signed_on", "expires_on", "reference", "says"),
    [
        (TODAY, TODAY, "DPA-1", "must expire after it is signed"),
        (TODAY, TODAY - timedelta(days=1), "DPA-1", "must expire after it is signed"),
        (TODAY, TODAY + timedelta(days=9), "", "Give the document reference"),
        (datetime(2027, 3, 1, 9, 0), TODAY + timedelta(days=9), "DPA-1", "calendar date"),
        ("2027-03-01", TODAY + timedelta(days=9), "DPA-1", "calendar date"),
    ],
)
def test_a_bad_agreement_is_refused_and_nothing_is_written(
    signed_on: object, expires_on: date, reference: str, says: str
) -> None:
    partner = register_partner(name="Parcel Co", kind="carrier", actor=None)
    with pytest.raises(PartnerRefused) as refused:
        record_agreement(
            partner=partner,
            signed_on=signed_on,  # type: ignore[arg-type]
            expires_on=expires_on,
            document_reference=reference,
            actor=None,
        )
    assert says in refused.value.message
    assert DataAgreement.objects.count() == 0


def test_the_database_refuses_an_agreement_that_expires_before_it_is_signed() -> None:
    partner = register_partner(name="Parcel Co", kind="carrier", actor=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        DataAgreement.objects.create(
            partner=partner, signed_on=TODAY, expires_on=TODAY, document_reference="DPA-1"
        )


@pytest.mark.commitment("C5.2")
def test_active_partner_is_the_one_with_an_agreement_in_force(
    make_partner: Callable[..., Partner],
) -> None:
    # Given carriers without agreement, expired, not yet signed, inactive, and two in force
    make_partner("carrier", name="None Co", signed_on=None, expires_on=None)
    make_partner("carrier", name="Old Co", signed_on=date(2025, 1, 1), expires_on=TODAY)
    make_partner("carrier", name="Later Co", signed_on=TODAY + timedelta(days=1))
    retired = make_partner("carrier", name="Retired Co", signed_on=TODAY)
    Partner.objects.filter(pk=retired.pk).update(active=False)
    make_partner("carrier", name="Older Deal Co", signed_on=TODAY - timedelta(days=60))
    newest = make_partner("carrier", name="Newer Deal Co", signed_on=TODAY - timedelta(days=2))

    # Then the active carrier with the most recently signed agreement in force is chosen
    assert active_partner(PartnerKind.CARRIER) == newest
    # And on a day when none is in force, the refusal says so
    with pytest.raises(NoValidAgreement) as refused:
        active_partner(PartnerKind.CARRIER, on=date(2024, 1, 1))
    assert refused.value.status_code == 403
    assert "No active logistics carrier" in refused.value.message


@pytest.mark.commitment("C5.2", "C5.5")
@pytest.mark.parametrize("kind", ["payment_processor", "advertiser"])
def test_active_partner_refuses_when_there_is_none(kind: str, today: date) -> None:
    with pytest.raises(NoValidAgreement):
        active_partner(kind)
