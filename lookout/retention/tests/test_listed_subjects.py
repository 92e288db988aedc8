"""Shredding finds a guest's key whatever engine the ids come from: a key store kept in SQLite
(KEYSTORE_DATABASE_URL) matches subjects read from a PostgreSQL main database, which arrive as
UUIDs, as well as SQLite's own 32-hex-digit text."""

from __future__ import annotations

import pytest

from lookout.retention.deliveries import _listed
from lookout.vault.crypto import new_subject
from lookout.vault.models import DataKey
from lookout.vault.routers import KEYSTORE

pytestmark = pytest.mark.django_db(databases=["default", KEYSTORE])


@pytest.mark.commitment("C4.6", "C6.4")
def test_the_key_store_matches_subjects_in_any_form() -> None:
    subjects = [new_subject(kind=DataKey.Kind.GUEST) for _ in range(3)]
    field = DataKey._meta.get_field("subject")
    # as a PostgreSQL main database hands them over (UUIDs), as text with dashes, as hex
    forms = [subjects[0], str(subjects[1]), subjects[2].hex]
    listed = _listed(forms, field, using=KEYSTORE)
    found = set(DataKey.objects.using(KEYSTORE).filter(subject__in=listed).values_list(
        "subject", flat=True
    ))  # fmt: skip
    assert found == set(subjects)
