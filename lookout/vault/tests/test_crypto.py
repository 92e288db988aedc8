import pytest

from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.vault.crypto import Sealed


@pytest.mark.django_db
def test_email_is_sealed_after_save():
    user = create_account(email="Ann@Example.com", password="a-long-passphrase-1")
    assert isinstance(user.email, Sealed)
    loaded = User.objects.get(pk=user.pk)
    assert isinstance(loaded.email, Sealed)
    assert str(loaded.email) == "•••"
