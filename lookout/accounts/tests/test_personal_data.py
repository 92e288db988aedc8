from __future__ import annotations

import pytest

from lookout.accounts.models import AttemptCount, MarketingChoice, User
from lookout.accounts.personal_data import FIELDS
from lookout.core.inventory import NotPersonal, Personal

pytestmark = pytest.mark.database_independent


@pytest.mark.commitment("C2.1")
@pytest.mark.parametrize("model", [User, MarketingChoice, AttemptCount])
def test_every_accounts_field_is_declared(model):
    # given
    fields = {f.name for f in model._meta.get_fields() if f.concrete or f.many_to_many}
    fields -= {f.name for f in model._meta.get_fields() if f.auto_created and not f.concrete}
    # then
    assert set(FIELDS[model]) == fields
    for declaration in FIELDS[model].values():
        assert isinstance(declaration, Personal | NotPersonal)


def test_the_email_and_secret_are_declared_as_encrypted_personal_data():
    # then
    email = FIELDS[User]["email"]
    assert isinstance(email, Personal) and email.category == "user.contact.email"
    assert "ciphertext" in email.stored_as
    index, password = FIELDS[User]["email_index"], FIELDS[User]["password"]
    assert isinstance(index, Personal) and isinstance(password, Personal)
    assert index.stored_as == "keyed blind index (HMAC-SHA256)"
    assert password.stored_as == "Argon2 hash"
