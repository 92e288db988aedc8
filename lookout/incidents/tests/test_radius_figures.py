"""The figures of a blast radius, read back from the stored exposure rows (C4.8, issue 26).

`test_radius.py` shows that each kind of incident finds the right people; these tests pin the
figures an officer puts in the notices: for each person the sources (audit, disclosure, key,
backup), the exact number of records behind them, and exactly which fields were exposed in
full, masked, withheld (sealed, not opened) or exposed as plain metadata; the incident's own
counts; and what a recomputation keeps and replaces.

Time is frozen at `T0` for every test (people, keys, reads and disclosures are made inside it),
and every window is given explicitly, so nothing depends on the wall clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.audit.services import record
from lookout.core.inventory import ACCOUNT_LIFETIME, NotPersonal, Personal, declaration
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.incidents import radius
from lookout.incidents.models import Exposure, Incident, Kind
from lookout.orders.demo import CARRIER_NAME, ensure_partners
from lookout.orders.models import Delivery
from lookout.orders.testing import place
from lookout.policies.initial import ensure_initial_versions
from lookout.sharing.models import Partner
from lookout.sharing.services import disclose
from lookout.vault import rotation
from lookout.vault.crypto import new_subject
from lookout.vault.fields import EncryptedField, encrypted_fields
from lookout.vault.models import DataKey

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WINDOW = {"started_at": T0, "ended_at": T0 + timedelta(hours=2)}
COMPUTED = T0 + timedelta(hours=5)

EMAIL = "accounts.User.email"
USER_SEALED = {EMAIL}  # a customer without a second factor: totp_secret is empty
ORDER_SEALED = {f"orders.Delivery.{n}" for n in ("name", "address", "phone")}
MESSAGE_SEALED = {"inbox.Message.title", "inbox.Message.body"}
GUEST_SEALED = ORDER_SEALED | {"orders.Delivery.email"} | MESSAGE_SEALED


@pytest.fixture
def clock(db: None) -> Iterator[FrozenDateTimeFactory]:
    """Time frozen at T0, with the policies and partners (and their agreements) as of then."""
    with freeze_time(T0) as frozen:
        assert isinstance(frozen, FrozenDateTimeFactory)
        ensure_initial_versions()
        ensure_partners()
        yield frozen


def _incident(**kw: Any) -> Incident:
    """An incident as `record_incident` stores it, not yet computed."""
    for name, value in WINDOW.items():
        kw.setdefault(name, value)
    return Incident.objects.create(
        aware_at=T0,
        due_at=T0 + timedelta(hours=72),
        measures="Passwords reset, sessions ended.",
        recorded_by=uuid.uuid4(),
        **kw,
    )


def _compute(incident: Incident, clock: FrozenDateTimeFactory) -> dict[uuid.UUID, Exposure]:
    """Compute at COMPUTED; the stored rows, by person."""
    clock.move_to(COMPUTED)
    radius.compute(incident)
    return {e.subject: e for e in Exposure.objects.filter(incident=incident)}


def _read(e: Exposure) -> dict[str, Any]:
    return {
        "exposed": e.exposed,
        "masked": e.masked,
        "withheld": e.withheld,
        "metadata": e.metadata,
        "sources": e.sources,
        "records": e.records,
    }


def _stored_counts(incident: Incident) -> tuple[int, int, datetime | None]:
    fresh = Incident.objects.get(pk=incident.pk)
    return fresh.people, fresh.records, fresh.computed_at


# --- audit reads: a staff account, a role, a compromised host --------------------------------


@pytest.mark.commitment("C4.8")
def test_a_staff_accounts_reads_in_the_window_add_up_per_person(clock, staff, customer) -> None:
    thief, _ = staff(Role.AFTER_SALES)
    ann, bob = customer(), customer()
    clock.move_to(T0 - timedelta(seconds=1))  # just before the window: not counted
    reveal(bob, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)
    clock.move_to(T0)  # the window's first instant counts
    reveal(ann, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)
    clock.move_to(T0 + timedelta(minutes=30))
    reveal(ann, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)
    reveal(ann, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)
    clock.move_to(T0 + timedelta(hours=2))  # the window's end is not in it
    reveal(bob, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)

    rows = _compute(_incident(kind=Kind.STAFF_ACCOUNT, staff_subject=thief.subject), clock)

    assert {s: _read(e) for s, e in rows.items()} == {
        ann.subject: {
            "exposed": [EMAIL],
            "masked": [],
            "withheld": [],
            "metadata": [],
            "sources": ["audit"],
            "records": 3,  # three granted reads in the window
        }
    }


@pytest.mark.commitment("C4.8")
def test_a_compromised_host_adds_the_windows_reads_to_what_the_backup_holds(
    clock, staff, customer
) -> None:
    thief, _ = staff(Role.AFTER_SALES)
    finance, _ = staff(Role.FINANCE)
    ann, bob = customer(), customer()
    gone = uuid.uuid4()  # read in the window, and every row of theirs erased since
    clock.move_to(T0 - timedelta(hours=1))  # before the window: not opened by the host
    reveal(bob, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)
    clock.move_to(T0 + timedelta(minutes=10))
    reveal(ann, ["email"], purpose=Purpose.AFTER_SALES, actor=thief)
    reveal(ann, ["email"], purpose=Purpose.REFUND, actor=finance)  # masked: full wins
    reveal(bob, ["email"], purpose=Purpose.REFUND, actor=finance)  # masked only
    record(
        actor=thief,
        action="reveal",
        subject=gone,
        fields=[EMAIL],
        purpose=Purpose.AFTER_SALES,
        outcome="granted",
        target=f"accounts.User:{uuid.uuid4()}",
    )

    rows = _compute(_incident(kind=Kind.BACKUP, host_compromised=True), clock)

    ann_row, bob_row = _read(rows[ann.subject]), _read(rows[bob.subject])
    assert ann_row["exposed"] == [EMAIL] and ann_row["masked"] == []
    assert ann_row["withheld"] == []  # opened by the host: no longer merely sealed
    assert ann_row["sources"] == ["audit", "backup"]
    assert ann_row["records"] == 1 + 2  # her account row in the backup, two reads
    assert bob_row["exposed"] == [] and bob_row["masked"] == [EMAIL]
    assert bob_row["withheld"] == []
    assert bob_row["sources"] == ["audit", "backup"]
    assert bob_row["records"] == 1 + 1
    assert _read(rows[gone]) == {
        "exposed": [EMAIL],
        "masked": [],
        "withheld": [],
        "metadata": [],
        "sources": ["audit"],  # not in the backup any more
        "records": 1,
    }
    # Everyone else (the two staff) is in the backup only, with their sealed email withheld
    for user in (thief, finance):
        row = _read(rows[user.subject])
        assert row["sources"] == ["backup"] and row["records"] == 1
        assert row["exposed"] == [] and row["withheld"] == [EMAIL]
    assert set(rows) == {ann.subject, bob.subject, gone, thief.subject, finance.subject}
    assert _stored_counts(rows[gone].incident) == (5, 3 + 2 + 1 + 1 + 1, COMPUTED)


# --- a partner ---------------------------------------------------------------------------------


@pytest.mark.commitment("C4.8")
def test_every_disclosure_to_the_partner_is_one_record_of_the_person(clock, customer) -> None:
    carrier = Partner.objects.get(name=CARRIER_NAME)
    buyer = customer()
    first, second = place(user=buyer), place(user=buyer)
    guest = place()
    for delivery in (first.delivery, second.delivery, second.delivery, guest.delivery):
        disclose(partner=carrier, record=delivery, purpose=Purpose.DELIVERY, actor=None)

    incident = _incident(kind=Kind.PARTNER, partner=carrier)
    rows = _compute(incident, clock)

    buyer_row, guest_row = _read(rows[buyer.subject]), _read(rows[guest.subject])
    assert set(rows) == {buyer.subject, guest.subject}
    assert buyer_row["sources"] == guest_row["sources"] == ["disclosure"]
    assert buyer_row["records"] == 3  # three disclosures, two of them of one order
    assert guest_row["records"] == 1
    assert set(buyer_row["exposed"]) == ORDER_SEALED
    assert buyer_row["masked"] == buyer_row["withheld"] == buyer_row["metadata"] == []
    assert _stored_counts(incident) == (2, 4, COMPUTED)


# --- a master key version ----------------------------------------------------------------------


@pytest.mark.commitment("C4.8")
def test_a_master_key_version_opens_everything_its_people_hold_and_nobody_elses(
    clock, customer
) -> None:
    old_version = rotation.status().primary_key_id
    buyer = customer()
    place(user=buyer)
    place(user=buyer)
    unused = new_subject(kind=DataKey.Kind.GUEST)  # a key under it, and no data: nothing to open
    rotation.rotate_master_key()
    later = customer()  # wrapped under the new version
    place(user=later)
    held = radius.holdings({buyer.subject})[buyer.subject]

    incident = _incident(kind=Kind.KEY_VERSION, key_version=old_version)
    rows = _compute(incident, clock)

    assert set(rows) == {buyer.subject}  # not `later`, and not `unused` (nothing exposed)
    assert _read(rows[buyer.subject]) == {
        "exposed": sorted(USER_SEALED | ORDER_SEALED | MESSAGE_SEALED),
        "masked": [],
        "withheld": [],  # the key opens every sealed field they hold
        "metadata": sorted(held.metadata),
        "sources": ["key"],
        "records": 1 + 2 + 2,  # account, two deliveries, two order messages
    }
    assert DataKey.objects.filter(subject=unused, master_key_id=old_version).exists()
    assert _stored_counts(incident) == (1, 5, COMPUTED)


@pytest.mark.commitment("C4.8")
@pytest.mark.parametrize("key_id", [1, -2])
def test_an_incident_naming_no_key_version_exposes_nobody(clock, customer, key_id) -> None:
    """Whatever ids the key store's versions carry (Tink's are 32-bit; a store may hold 1)."""
    person = customer()
    DataKey.objects.filter(subject=person.subject).update(master_key_id=key_id)
    incident = _incident(kind=Kind.KEY_VERSION, key_version=None)
    incident.people, incident.records = 7, 7  # figures of an earlier computation
    incident.save()

    assert _compute(incident, clock) == {}
    assert (incident.people, incident.records, incident.computed_at) == (0, 0, COMPUTED)
    assert _stored_counts(incident) == (0, 0, COMPUTED)


# --- a backup of the main database ---------------------------------------------------------------


@pytest.mark.commitment("C4.8")
def test_a_backups_records_are_the_persons_rows_across_models(clock, customer) -> None:
    buyer = customer()
    place(user=buyer)
    place(user=buyer)
    guest = place()
    assert User.objects.filter(subject=buyer.subject).count() == 1
    assert Delivery.objects.filter(subject=buyer.subject).count() == 2
    assert Message.objects.filter(subject=buyer.subject).count() == 2
    buyer_sealed = USER_SEALED | ORDER_SEALED | MESSAGE_SEALED

    without_keys = _compute(_incident(kind=Kind.BACKUP), clock)
    row = _read(without_keys[buyer.subject])
    assert row["exposed"] == [] and row["masked"] == []
    assert row["withheld"] == sorted(buyer_sealed)
    assert row["sources"] == ["backup"]
    assert row["records"] == 5
    assert {"accounts.User.email_index", "accounts.User.password"} <= set(row["metadata"])
    assert not set(row["metadata"]) & buyer_sealed  # sealed fields are never metadata
    guest_row = _read(without_keys[guest.subject])
    assert guest_row["withheld"] == sorted(GUEST_SEALED)
    assert "orders.Delivery.email_index" in guest_row["metadata"]
    assert guest_row["sources"] == ["backup"] and guest_row["records"] == 1 + 1

    with_keys = _compute(
        _incident(kind=Kind.BACKUP, keystore_included=True, master_key_included=True), clock
    )
    row = _read(with_keys[buyer.subject])
    assert row["exposed"] == sorted(buyer_sealed) and row["withheld"] == []
    assert row["sources"] == ["backup"] and row["records"] == 5
    assert _read(with_keys[guest.subject])["exposed"] == sorted(GUEST_SEALED)


# --- which columns count, and which models ------------------------------------------------------


def _declared(table: dict[str, Personal | NotPersonal | type[Exception]]) -> Any:
    def look_up(model: type[models.Model], name: str) -> Personal | NotPersonal:
        found = table[name]
        if isinstance(found, type):
            raise found(f"{name} is not declared")
        return found

    return look_up


def _personal(stored_as: str) -> Personal:
    return Personal(
        category="user.contact",
        purposes=frozenset(),
        retention=ACCOUNT_LIFETIME,
        stored_as=stored_as,
    )


@pytest.mark.commitment("C4.8")
def test_plain_metadata_is_every_declared_plain_personal_column_but_ids_and_sealed_ones(
    monkeypatch,
) -> None:
    with isolate_apps("lookout.incidents"):

        class Holding(models.Model):
            id = models.UUIDField(primary_key=True, default=uuid.uuid4)
            owner = models.UUIDField()
            note = EncryptedField(subject_field="owner", null=True)
            token = models.UUIDField()
            undeclared = models.CharField(max_length=10)
            lookup = models.CharField(max_length=64)
            seen_at = models.DateTimeField()
            flag = models.BooleanField()

            class Meta:
                app_label = "incidents"

            def __str__(self) -> str:
                return "a holding"

    monkeypatch.setattr(
        radius,
        "declaration",
        _declared(
            {
                # Declared as plain personal data, yet the row id and the subject column name
                # nobody by themselves: never metadata
                "id": _personal("plain row id"),
                "owner": _personal("plain subject id"),
                "note": _personal("ciphertext (AEAD under the person's data key)"),
                "token": _personal("random UUID (names nobody by itself)"),
                "undeclared": LookupError,  # does not stop the columns after it
                "lookup": _personal("keyed blind index (HMAC-SHA256)"),
                "seen_at": _personal("plain timestamp on a pseudonymous row"),
                "flag": NotPersonal(why="a switch"),
            }
        ),
    )
    encrypted = encrypted_fields(Holding)
    assert list(encrypted) == ["note"]
    assert radius._plain_personal(Holding, encrypted, "owner") == ["lookup", "seen_at"]


@pytest.mark.commitment("C4.8")
def test_a_model_without_declarations_adds_no_metadata(monkeypatch) -> None:
    def missing(model: type[models.Model], name: str) -> Personal:
        raise ModuleNotFoundError(f"{model._meta.app_label}.personal_data")

    monkeypatch.setattr(radius, "declaration", missing)
    assert radius._plain_personal(User, encrypted_fields(User), "subject") == []


@pytest.mark.commitment("C4.8")
def test_the_subject_column_and_row_id_never_count_as_metadata(
    clock, customer, monkeypatch
) -> None:
    person = customer()
    place(user=person)

    def ids_declared_plain(model: type[models.Model], name: str) -> Personal | NotPersonal:
        if name in ("id", "subject"):
            return _personal("plain id")
        return declaration(model, name)

    monkeypatch.setattr(radius, "declaration", ids_declared_plain)
    metadata = radius.holdings({person.subject})[person.subject].metadata
    assert "accounts.User.email_index" in metadata
    assert EMAIL not in metadata
    assert not {
        label
        for label in metadata
        if label.endswith((".id", ".subject"))  # User, Delivery, Message: none of them
    }


@pytest.mark.commitment("C4.8")
def test_holdings_of_each_person_asked_for_are_found_whatever_the_order_of_the_rows(
    clock, customer
) -> None:
    people = [customer() for _ in range(3)]
    for person in people:
        place(user=person)
    everyone = radius.holdings()
    for person in people:  # at least two of them come after another one in each model
        alone = radius.holdings({person.subject})
        assert set(alone) == {person.subject}
        assert alone[person.subject] == everyone[person.subject]
        assert alone[person.subject].records == 1 + 1 + 1
        assert alone[person.subject].withheld == USER_SEALED | ORDER_SEALED | MESSAGE_SEALED
    assert radius.holdings(set()) == {}


@pytest.mark.commitment("C4.8")
def test_holdings_skip_proxy_models_and_the_key_store(clock, customer, monkeypatch) -> None:
    person = customer()
    before = radius.holdings({person.subject})[person.subject]
    with isolate_apps("lookout.accounts"):

        class Account(User):  # the same rows as accounts.User, under another name
            class Meta:
                proxy = True
                app_label = "accounts"

    class Registry:
        def get_models(self) -> list[type[models.Model]]:
            return [*apps.get_models(), Account]

    monkeypatch.setattr(radius, "apps", Registry())
    after = radius.holdings({person.subject})[person.subject]
    assert after == before
    assert after.records == 1
    assert after.withheld == {EMAIL}
    assert not any(label.startswith("vault.") for label in after.withheld | after.metadata)


# --- what is written, and recomputing ------------------------------------------------------------


@pytest.mark.commitment("C4.8")
def test_people_with_nothing_exposed_are_not_written_wherever_they_come(clock) -> None:
    incident = _incident(kind=Kind.BACKUP)
    nobody, someone, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    people = {
        nobody: radius._Person(withheld={EMAIL}, sources={"backup"}, records=2),
        someone: radius._Person(exposed={EMAIL}, sources={"audit"}, records=1),
        third: radius._Person(metadata={"accounts.User.email_index"}, records=1),
    }
    radius._write(incident, people)
    stored = {e.subject: _read(e) for e in Exposure.objects.filter(incident=incident)}
    assert set(stored) == {someone, third}
    assert stored[someone]["exposed"] == [EMAIL] and stored[someone]["records"] == 1
    assert stored[third]["metadata"] == ["accounts.User.email_index"]


@pytest.mark.commitment("C4.8")
def test_recomputing_replaces_the_incidents_rows_and_leaves_other_incidents_alone(
    clock, customer
) -> None:
    carrier = Partner.objects.get(name=CARRIER_NAME)
    first, second = place(), place()
    disclose(partner=carrier, record=first.delivery, purpose=Purpose.DELIVERY, actor=None)
    breach = _incident(kind=Kind.PARTNER, partner=carrier)
    backup = _incident(kind=Kind.BACKUP)
    _compute(breach, clock)
    radius.compute(backup)
    others = {e.pk: _read(e) for e in Exposure.objects.filter(incident=backup)}

    clock.move_to(T0 + timedelta(minutes=30))  # more found in the ledger since
    disclose(partner=carrier, record=first.delivery, purpose=Purpose.DELIVERY, actor=None)
    disclose(partner=carrier, record=second.delivery, purpose=Purpose.DELIVERY, actor=None)
    clock.move_to(T0 + timedelta(hours=6))
    radius.compute(breach)

    rows = {e.subject: _read(e) for e in Exposure.objects.filter(incident=breach)}
    assert {s: r["records"] for s, r in rows.items()} == {first.subject: 2, second.subject: 1}
    assert _stored_counts(breach) == (2, 3, T0 + timedelta(hours=6))
    assert {e.pk: _read(e) for e in Exposure.objects.filter(incident=backup)} == others
    assert Exposure.objects.filter(incident=backup).count() == 2


@pytest.mark.commitment("C4.8")
def test_recomputing_keeps_what_was_recorded_on_the_incident_meanwhile(clock, customer) -> None:
    customer()
    incident = _incident(kind=Kind.BACKUP)
    stale = Incident.objects.get(pk=incident.pk)
    notified = T0 + timedelta(hours=1)
    Incident.objects.filter(pk=incident.pk).update(authority_notified_at=notified)

    _compute(stale, clock)

    fresh = Incident.objects.get(pk=incident.pk)
    assert fresh.authority_notified_at == notified
    assert (fresh.people, fresh.records, fresh.computed_at) == (1, 1, COMPUTED)
