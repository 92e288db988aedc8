"""Fixtures for the sharing tests: partners with agreements, a person, a parcel-like record.

`parcel_model` is a throwaway model standing in for a delivery record: a name, an address, a
phone, an email and a card number, all sealed. It is declared with real fideslang categories and
the system may read every field of it for every purpose a partner can be given, so that in these
tests only `disclose`'s own allowlist stands between a field and a partner.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection, models
from django.test.utils import isolate_apps
from freezegun import freeze_time

from lookout.access import matrix
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.core.inventory import ORDER_RETENTION, NotPersonal, personal
from lookout.core.purposes import Purpose
from lookout.sharing import personal_data
from lookout.sharing.models import DataAgreement, Partner
from lookout.sharing.services import record_agreement, register_partner
from lookout.vault.crypto import new_subject
from lookout.vault.fields import EncryptedField

TODAY = date(2027, 3, 1)
EMAIL = "ann.example@example.com"
NAME = "Ann Example"
ADDRESS = '{"street_address": "1 Example Road", "city": "Springfield", "postal_code": "12345"}'
PHONE = "+1 202 555 0143"
CARD = "4242424242424242"

PARCEL_CATEGORIES = {
    "name": "user.name",
    "address": "user.contact.address",
    "phone": "user.contact.phone_number",
    "email": "user.contact.email",
    "card": "user.financial.bank_account",
}


@pytest.fixture
def today() -> Iterator[date]:
    """The store's calendar stands still on TODAY for the whole test."""
    with freeze_time("2027-03-01 12:00:00"):
        yield TODAY


@pytest.fixture
def person(today: date) -> User:
    return create_account(email=EMAIL, password="a-long-passphrase-1")


@pytest.fixture
def make_partner(today: date) -> Callable[..., Partner]:
    """A registered partner; with an agreement in force today unless told otherwise."""

    def make(
        kind: str,
        *,
        name: str | None = None,
        signed_on: date | None = TODAY - timedelta(days=30),
        expires_on: date | None = TODAY + timedelta(days=335),
    ) -> Partner:
        partner = register_partner(name=name or f"{kind.title()} Ltd", kind=kind, actor=None)
        if signed_on is not None and expires_on is not None:
            record_agreement(
                partner=partner,
                signed_on=signed_on,
                expires_on=expires_on,
                document_reference=f"DPA-{kind}",
                actor=None,
            )
        return partner

    return make


@pytest.fixture
def parcel_model(monkeypatch: pytest.MonkeyPatch, db: None) -> type[models.Model]:
    with isolate_apps("lookout.sharing"):

        class Parcel(models.Model):
            id = models.UUIDField(primary_key=True, default=uuid.uuid4)
            subject = models.UUIDField()
            name = EncryptedField(subject_field="subject")
            address = EncryptedField(subject_field="subject")
            phone = EncryptedField(subject_field="subject", null=True)
            email = EncryptedField(subject_field="subject", null=True)
            card = EncryptedField(subject_field="subject", null=True)
            country = models.CharField(max_length=2)

            class Meta:
                app_label = "sharing"
                db_table = "sharing_test_parcel"

            def __str__(self) -> str:
                return f"parcel {self.pk}"

    declared: dict[str, Any] = {
        field: personal(category, *Purpose, retention=ORDER_RETENTION)
        for field, category in PARCEL_CATEGORIES.items()
    }
    declared |= {
        "id": NotPersonal("row id"),
        "subject": NotPersonal("pseudonymous id"),
        "country": NotPersonal("destination country"),
    }
    monkeypatch.setitem(personal_data.FIELDS, Parcel, declared)  # type: ignore[arg-type]
    for field in PARCEL_CATEGORIES:
        for purpose in (Purpose.DELIVERY, Purpose.FULFILMENT, Purpose.REFUND, Purpose.AFTER_SALES):
            cell = (matrix.SYSTEM, f"sharing.Parcel.{field}", purpose)
            monkeypatch.setitem(matrix.cells(), cell, matrix.Level.FULL)
    # Created inside the test's transaction (DDL is transactional on SQLite and PostgreSQL), so
    # the rollback at the end of the test removes the table. The schema editor only writes the
    # CREATE TABLE statement: SQLite's refuses to be entered inside a transaction.
    sql, params = connection.schema_editor().table_sql(Parcel)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return Parcel


@pytest.fixture
def make_parcel(parcel_model: type[models.Model], today: date) -> Callable[..., models.Model]:
    def make(*, phone: str | None = PHONE, email: str | None = EMAIL) -> models.Model:
        parcel = parcel_model(
            subject=new_subject(kind="guest"),
            name=NAME,
            address=ADDRESS,
            phone=phone,
            email=email,
            card=CARD,
            country="US",
        )
        parcel.save()
        return parcel_model._default_manager.get(pk=parcel.pk)

    return make


def agreements() -> int:
    return DataAgreement.objects.count()
