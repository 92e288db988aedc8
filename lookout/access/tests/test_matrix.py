"""Every cell of the role x field x purpose matrix, checked against the policy written out here.

The expectation table below is written independently of `lookout.access.matrix`: if someone widens
a grant in the matrix without changing this table, the test for that cell fails.
"""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from lookout.access import AccessDenied, reveal
from lookout.access.roles import Role
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.vault.fields import encrypted_fields

EMAIL = "ann.example@example.com"
TOTP = "JBSWY3DPEHPK3PXP"
MASKED_EMAIL = "a•••@e•••.com"

# (reader, field, purpose) -> what the reader gets. Absent = refused.
EXPECTED: dict[tuple[str, str, str], str] = {
    ("self", "email", "self_service"): EMAIL,
    ("self", "email", "subject_request"): EMAIL,
    ("self", "totp_secret", "account_security"): TOTP,
    # A staff member reading their own account is the person, whatever their role.
    ("self_staff", "email", "self_service"): EMAIL,
    ("self_staff", "email", "subject_request"): EMAIL,
    ("self_staff", "totp_secret", "account_security"): TOTP,
    ("system", "email", "account_notice"): EMAIL,
    ("system", "email", "marketing"): EMAIL,
    ("system", "email", "after_sales"): EMAIL,  # to a dispute-resolution vendor (C5.3)
    ("system", "email", "subject_request"): EMAIL,  # the access file, built by a task (C6.2)
    ("after_sales", "email", "after_sales"): EMAIL,
    ("finance", "email", "refund"): MASKED_EMAIL,
    ("privacy_officer", "email", "subject_request"): EMAIL,
    ("privacy_officer", "email", "legal"): EMAIL,
    ("administrator", "email", "account_security"): MASKED_EMAIL,
}

READERS = [
    *(r.value for r in Role),
    "system",
    "self",
    "self_staff",
    "other_customer",
    "anonymous",
]
FIELDS = ["email", "totp_secret"]
CELLS = list(itertools.product(READERS, FIELDS, [p.value for p in Purpose]))


def _actor(reader: str, person: User):
    if reader == "system":
        return None
    if reader in {"self", "self_staff"}:
        return person
    if reader == "anonymous":
        return AnonymousUser()
    if reader == "other_customer":
        return create_account(email="other@example.com", password="another-long-pass-1")
    return create_account(email=f"{reader}@example.com", password="staff-long-pass-1", role=reader)


@pytest.mark.commitment("C3.1", "C4.3", "C4.4")
@pytest.mark.django_db
@pytest.mark.parametrize(("reader", "field", "purpose"), CELLS)
def test_matrix_cell(reader: str, field: str, purpose: str) -> None:
    # Given a person (a customer, or for "self_staff" a staff member) with an email and a
    # second-factor secret
    role = Role.WAREHOUSE if reader == "self_staff" else ""
    person = create_account(email=EMAIL, password="a-long-passphrase-1", role=role)
    person.totp_secret = TOTP
    person.save()
    person = User.objects.get(pk=person.pk)
    actor = _actor(reader, person)
    before = AuditEntry.objects.count()

    expected = EXPECTED.get((reader, field, purpose))
    if expected is None:
        # When a reader without a grant asks, then the gate refuses and audits the refusal
        with pytest.raises(AccessDenied):
            reveal(person, [field], purpose=Purpose(purpose), actor=actor)
        entry = AuditEntry.objects.order_by("-seq").first()
        assert entry is not None
        assert entry.outcome == "refused"
    else:
        # When a granted reader asks, then they get the value (full or masked) and it is audited
        values = reveal(person, [field], purpose=Purpose(purpose), actor=actor)
        assert values == {field: expected}
        entry = AuditEntry.objects.order_by("-seq").first()
        assert entry is not None
        assert entry.outcome == "granted"
    assert AuditEntry.objects.count() == before + 1
    assert entry.action.startswith("reveal")
    assert entry.fields == [f"accounts.User.{field}"]
    assert entry.purpose == purpose
    assert entry.subject_ref == str(person.subject)
    assert EMAIL not in repr(entry.__dict__)


@pytest.mark.commitment("C4.3")
def test_administrators_and_catalog_managers_see_no_personal_field_in_full() -> None:
    from django.apps import apps

    from lookout.access.matrix import Level, level_for

    personal = [
        f"{model._meta.label}.{name}"
        for model in apps.get_models()
        for name in encrypted_fields(model)
    ]
    assert personal, "the project has personal fields"
    for role, field, purpose in itertools.product(
        [Role.ADMINISTRATOR, Role.CATALOG_MANAGER], personal, Purpose
    ):
        assert level_for(role, field, purpose) != Level.FULL, (role, field, purpose)


@pytest.mark.commitment("C4.3")
@pytest.mark.django_db
def test_administrators_and_catalog_managers_never_read_a_customers_data_in_full() -> None:
    # The test above reads the matrix; this one asks the gate, on a real order, whether an
    # administrator or a catalog manager gets any value in plaintext, whatever the purpose.
    from lookout.orders.testing import GUEST_EMAIL, PHONE, RECIPIENT, place

    delivery = place().delivery
    customer = create_account(email=EMAIL, password="a-long-passphrase-1")
    customer.totp_secret = TOTP
    customer.save()
    customer = User.objects.get(pk=customer.pk)
    plaintexts = {RECIPIENT, PHONE, GUEST_EMAIL, EMAIL, TOTP}
    readers = [
        create_account(email=f"{role}@example.com", password="staff-long-pass-1", role=role)
        for role in (Role.ADMINISTRATOR, Role.CATALOG_MANAGER)
    ]
    read = 0
    cells = [(obj, name) for obj in (delivery, customer) for name in encrypted_fields(type(obj))]
    for (obj, name), actor, purpose in itertools.product(cells, readers, Purpose):
        try:
            values = reveal(obj, [name], purpose=purpose, actor=actor)
        except AccessDenied:
            continue
        read += 1
        assert not plaintexts & set(values.values()), (actor.role, purpose, values)
        assert "1600" not in str(values.get("address")), (actor.role, purpose)
    assert read, "every read was refused: the masked levels were never exercised"


@pytest.mark.commitment("C3.1")
@pytest.mark.django_db
def test_refused_read_decrypts_nothing_and_names_the_refused_fields() -> None:
    person = create_account(email=EMAIL, password="a-long-passphrase-1")
    warehouse = create_account(
        email="wh@example.com", password="staff-long-pass-1", role=Role.WAREHOUSE
    )
    with pytest.raises(AccessDenied) as refused:
        reveal(person, ["email"], purpose=Purpose.FULFILMENT, actor=warehouse)
    assert refused.value.fields == ["accounts.User.email"]
    assert refused.value.status_code == 403
    assert EMAIL not in str(refused.value)
