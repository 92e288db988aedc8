"""One read, one person (C4.4): the gate refuses a read whose fields belong to two people.

Every audit entry of a read names the one person whose data was read, so a single read that
mixed two people's fields would be recorded under one of them and hide the other. No model in
the store has personal fields under two subject columns today; a model that does (here a
referral holding a note for each of two people, in an isolated app registry) must still be
read one person at a time, and the refusal must say so before anything is decrypted or logged.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import models
from django.test.utils import isolate_apps

from lookout.access.gate import AccessDenied, bulk_read_values, reveal, reveal_values
from lookout.audit.models import AuditEntry
from lookout.core.purposes import Purpose
from lookout.vault.fields import EncryptedField

ONE_PERSON = "reveal() reads fields of one person at a time."


@pytest.fixture
def referral_model():
    with isolate_apps("lookout.access"):

        class Referral(models.Model):
            id = models.UUIDField(primary_key=True, default=uuid.uuid4)
            referrer = models.UUIDField()
            friend = models.UUIDField()
            referrer_note = EncryptedField(subject_field="referrer")
            friend_note = EncryptedField(subject_field="friend")

            class Meta:
                app_label = "access"

            def __str__(self) -> str:
                return f"referral {self.pk}"

        yield Referral


@pytest.mark.django_db
def test_a_read_across_two_people_is_refused_and_says_why(referral_model):
    referral = referral_model(referrer=uuid.uuid4(), friend=uuid.uuid4())
    before = AuditEntry.objects.count()

    with pytest.raises(ValueError) as refused:
        reveal(referral, ["referrer_note", "friend_note"], purpose=Purpose.AFTER_SALES, actor=None)

    assert str(refused.value) == ONE_PERSON
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_each_way_of_reading_refuses_two_people(referral_model):
    row = {
        "pk": uuid.uuid4(),
        "referrer": uuid.uuid4(),
        "friend": uuid.uuid4(),
        "referrer_note": b"",
        "friend_note": b"",
    }
    with pytest.raises(ValueError) as bulk:
        bulk_read_values(referral_model, [row], ["referrer_note", "friend_note"])
    assert str(bulk.value) == ONE_PERSON

    with pytest.raises(ValueError) as values:
        reveal_values(
            referral_model,
            [row],
            ["referrer_note", "friend_note"],
            purpose=Purpose.AFTER_SALES,
            actor=None,
        )
    assert str(values.value) == ONE_PERSON


@pytest.mark.django_db
def test_one_of_the_two_people_is_read_through_the_matrix_like_any_field(referral_model):
    """The guard counts people, not fields: one person's field alone passes it and meets the
    matrix, which grants nobody a field it does not list, not even the system."""
    referral = referral_model(referrer=uuid.uuid4(), friend=uuid.uuid4())
    with pytest.raises(AccessDenied) as refused:
        reveal(referral, ["referrer_note"], purpose=Purpose.AFTER_SALES, actor=None)
    assert "access.Referral.referrer_note" in str(refused.value.fields)
