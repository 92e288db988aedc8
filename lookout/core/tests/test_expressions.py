"""`UuidText` reads a UUID column as exactly the text `str()` gives for the UUID Django reads."""

from __future__ import annotations

import uuid

import pytest

from lookout.core.expressions import UuidText
from lookout.vault.models import DataKey
from lookout.vault.routers import KEYSTORE

pytestmark = pytest.mark.django_db(databases=["default", KEYSTORE])


def test_uuid_text_is_the_canonical_text_of_the_uuid_django_reads() -> None:
    # given UUIDs whose hex digits are all sorts (leading zeros, letters, the variant nibble)
    subjects = [uuid.UUID(int=0), uuid.UUID("00fa0b1c-0000-4abc-8def-0123456789ab"), uuid.uuid4()]
    for subject in subjects:
        DataKey.objects.using(KEYSTORE).create(
            subject=subject, wrapped=b"x", kind="customer", master_key_id=1
        )
    # when they are read as text and as UUIDs
    rows = DataKey.objects.using(KEYSTORE).filter(subject__in=subjects)
    pairs = rows.values_list("subject", UuidText("subject"))
    # then each text is str() of the UUID
    assert sorted(text for _, text in pairs) == sorted(str(s) for s in subjects)
    assert all(text == str(read) for read, text in pairs)
