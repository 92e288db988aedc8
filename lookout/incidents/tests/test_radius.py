"""The blast radius equals exactly what the compromised thing really opened (C4.8, issue 26).

Reads go through the real gate (`lookout.access.reveal`), which writes the audit entries the
computation reads; time is moved with freezegun so some reads fall outside the window.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from lookout.access import AccessDenied, reveal
from lookout.access.roles import Role
from lookout.core.purposes import Purpose
from lookout.incidents.models import Kind
from lookout.incidents.services import IncidentError, record_incident
from lookout.incidents.tests.conftest import exposed_sets
from lookout.orders.demo import CARRIER_NAME
from lookout.orders.testing import place
from lookout.sharing.models import Disclosure, Partner
from lookout.sharing.services import disclose
from lookout.vault import rotation

pytestmark = pytest.mark.django_db

EMAIL = "accounts.User.email"
DELIVERY_NAMES = ["name", "phone"]
DELIVERY = [f"orders.Delivery.{n}" for n in DELIVERY_NAMES]


def _incident(officer, **kw):  # type: ignore[no-untyped-def]
    now = timezone.now()
    kw.setdefault("started_at", now - timedelta(hours=1))
    kw.setdefault("ended_at", now + timedelta(hours=1))
    return record_incident(officer=officer, measures="Password reset, sessions ended.", **kw)


@pytest.fixture
def reads(staff, customer, policies, partners):  # type: ignore[no-untyped-def]
    """Two after-sales accounts and a finance account reading people's data, in and out of
    the window [now - 1 h, now + 1 h)."""
    thief, _ = staff(Role.AFTER_SALES)
    colleague, _ = staff(Role.AFTER_SALES)
    finance, _ = staff(Role.FINANCE)
    officer, _ = staff(Role.PRIVACY_OFFICER)
    early, ann, bob, cid, dora = (customer() for _ in range(5))
    order = place(user=cid)
    now = timezone.now()
    with freeze_time(now - timedelta(hours=3)):  # before the window
        reveal(early, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)
    reveal(ann, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)
    reveal(order.delivery, DELIVERY_NAMES, purpose=Purpose.AFTER_SALES, actor=thief)
    with pytest.raises(AccessDenied):  # refused by the gate: nothing opened
        reveal(bob, ["email"], purpose=Purpose.MARKETING, actor=thief)
    reveal(dora, ["email"], purpose=Purpose.AFTER_SALES, actor=colleague)
    reveal(bob, ["email"], purpose=Purpose.REFUND, actor=finance)  # granted masked only
    with freeze_time(now + timedelta(hours=2)):  # after the window
        reveal(bob, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)
    return {
        "thief": thief,
        "officer": officer,
        "early": early,
        "ann": ann,
        "bob": bob,
        "cid": cid,
        "dora": dora,
        "order": order,
    }


@pytest.mark.commitment("C4.8")
def test_a_compromised_account_exposes_exactly_what_it_opened_in_the_window(reads) -> None:
    incident = _incident(
        reads["officer"], kind=Kind.STAFF_ACCOUNT, staff_subject=reads["thief"].subject
    )
    assert exposed_sets(incident) == {
        reads["ann"].subject: ({EMAIL}, set()),
        reads["cid"].subject: (set(DELIVERY), set()),
    }
    assert incident.people == 2
    assert incident.records == 2  # two granted reads in the window


@pytest.mark.commitment("C4.8")
def test_a_compromised_role_covers_every_account_of_it_and_keeps_masked_reads_masked(
    reads,
) -> None:
    after_sales = _incident(reads["officer"], kind=Kind.ROLE, role=Role.AFTER_SALES)
    assert exposed_sets(after_sales) == {
        reads["ann"].subject: ({EMAIL}, set()),
        reads["cid"].subject: (set(DELIVERY), set()),
        reads["dora"].subject: ({EMAIL}, set()),
    }
    finance = _incident(reads["officer"], kind=Kind.ROLE, role=Role.FINANCE)
    assert exposed_sets(finance) == {reads["bob"].subject: (set(), {EMAIL})}


@pytest.mark.commitment("C4.8")
def test_a_partner_breach_covers_what_was_disclosed_to_it_up_to_the_window_end(
    staff, policies, partners
) -> None:
    officer, _ = staff(Role.PRIVACY_OFFICER)
    carrier = Partner.objects.get(name=CARRIER_NAME)
    now = timezone.now()
    before, after_window = place(), place()
    # Before the window (which runs from now + 1 h to now + 2 h): still exposed
    disclose(partner=carrier, record=before.delivery, purpose=Purpose.DELIVERY, actor=None)
    with freeze_time(now + timedelta(hours=3)):  # after the window's end: not exposed
        disclose(
            partner=carrier, record=after_window.delivery, purpose=Purpose.DELIVERY, actor=None
        )
    incident = _incident(
        officer,
        kind=Kind.PARTNER,
        partner=carrier,
        started_at=now + timedelta(hours=1),
        ended_at=now + timedelta(hours=2),
    )
    ledger = Disclosure.objects.get(subject=before.subject, partner=carrier)
    assert exposed_sets(incident) == {before.subject: (set(ledger.fields), set())}
    assert after_window.subject not in exposed_sets(incident)
    # Another partner's breach exposes nothing of these orders
    other = Partner.objects.exclude(pk=carrier.pk).first()
    assert other is not None
    assert exposed_sets(_incident(officer, kind=Kind.PARTNER, partner=other)) == {}


@pytest.mark.commitment("C4.8")
def test_a_master_key_version_exposes_the_sealed_data_of_the_people_it_wraps(
    staff, customer
) -> None:
    officer, _ = staff(Role.PRIVACY_OFFICER)
    old_version = rotation.status().primary_key_id
    under_old = customer()
    rotation.rotate_master_key()  # people made from now on are wrapped under the new key
    under_new = customer()
    incident = _incident(officer, kind=Kind.KEY_VERSION, key_version=old_version)
    found = {e.subject: e for e in incident.exposures.all()}
    assert under_old.subject in found and under_new.subject not in found
    assert EMAIL in found[under_old.subject].exposed
    assert officer.subject in found  # the officer's own key was made before the rotation


@pytest.mark.commitment("C4.8")
def test_a_database_backup_exposes_blind_indexes_but_not_sealed_fields_without_the_keys(
    staff, customer
) -> None:
    officer, _ = staff(Role.PRIVACY_OFFICER)
    person = customer()
    without_keys = _incident(officer, kind=Kind.BACKUP)
    row = without_keys.exposures.get(subject=person.subject)
    assert row.exposed == [] and row.masked == []
    assert EMAIL in row.withheld
    assert "accounts.User.email_index" in row.metadata
    with_keys = _incident(
        officer, kind=Kind.BACKUP, keystore_included=True, master_key_included=True
    )
    row = with_keys.exposures.get(subject=person.subject)
    assert EMAIL in row.exposed and row.withheld == []
    # The key store alone (wrapped keys, no master key) opens nothing
    keystore_only = _incident(officer, kind=Kind.BACKUP, keystore_included=True)
    assert EMAIL in keystore_only.exposures.get(subject=person.subject).withheld


@pytest.mark.commitment("C4.8")
def test_a_compromised_host_exposes_what_the_store_opened_in_the_window(reads) -> None:
    incident = _incident(reads["officer"], kind=Kind.BACKUP, host_compromised=True)
    rows = {e.subject: e for e in incident.exposures.all()}
    assert EMAIL in rows[reads["ann"].subject].exposed
    assert EMAIL not in rows[reads["early"].subject].exposed  # read before the window
    assert EMAIL in rows[reads["early"].subject].withheld
    assert rows[reads["bob"].subject].masked == [EMAIL]  # only the masked read in the window


def test_an_incident_must_name_what_was_compromised(staff) -> None:
    officer, _ = staff(Role.PRIVACY_OFFICER)
    with pytest.raises(IncidentError, match="staff account"):
        _incident(officer, kind=Kind.STAFF_ACCOUNT)
    now = timezone.now()
    with pytest.raises(IncidentError, match="end after"):
        _incident(officer, kind=Kind.BACKUP, started_at=now, ended_at=now)


@pytest.mark.commitment("C4.8")
def test_a_blank_column_is_not_reported_as_exposed_metadata(staff, customer, policies, partners):
    # given a customer (no role, no display name) whose account order keeps no email index
    officer, _ = staff(Role.PRIVACY_OFFICER)
    person = customer()
    place(user=person)
    # when a backup is lost
    row = _incident(officer, kind=Kind.BACKUP).exposures.get(subject=person.subject)
    # then their notice names the blind index they have, not columns that hold nothing
    assert "accounts.User.email_index" in row.metadata
    assert "accounts.User.role" not in row.metadata
    assert "accounts.User.display_name" not in row.metadata
    assert "orders.Delivery.email_index" not in row.metadata
    assert "orders.Delivery.name" in row.withheld
