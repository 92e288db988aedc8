"""After an erasure nothing of the person can be recovered: not from the database, not from its
raw file, not from a backup taken before (C6.4). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from lookout.access import reveal
from lookout.access.roles import Role
from lookout.accounts.services import create_account, record_marketing_choice
from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.checkout.services import save_address
from lookout.core.purposes import Purpose
from lookout.orders.demo import ensure_partners
from lookout.orders.testing import PHONE, RECIPIENT, US_ADDRESS, place
from lookout.policies.initial import ensure_initial_versions
from lookout.privacy.models import Kind, Status
from lookout.privacy.services import approve_deletion, open_request
from lookout.privacy.tests.backups import ciphertexts, take_backup
from lookout.privacy.tests.conftest import EMAIL, PASSWORD, STREET, deliver, disclose_to_carrier
from lookout.testing.raw import raw_database_bytes
from lookout.vault.blind_index import email_index
from lookout.vault.crypto import KeyDestroyed, open_sealed

CORRECTION_WORDS = "Please spell my name Adah Lovelace-Byron"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
@pytest.mark.commitment("C6.4", "C4.2")
def test_nothing_of_an_erased_person_can_be_recovered_even_from_an_old_backup(tmp_path):
    # given a person with an account, a saved address, a delivered order shared with the
    # carrier, inbox messages, a marketing choice and a correction request in their own words
    ensure_initial_versions()
    ensure_partners()
    user = create_account(email=EMAIL, password=PASSWORD)
    record_marketing_choice(user=user, opted_in=True, wording="Email me offers.", source="signup")
    save_address(user=user, name=RECIPIENT, address=dict(US_ADDRESS), country="US", phone=PHONE)
    order = deliver(place(user=user))
    disclose_to_carrier(order)
    open_request(
        subject=user.subject,
        kind=Kind.CORRECTION,
        via="account",
        actor=user,
        details=CORRECTION_WORDS,
    )
    # and someone else, whose data must stay readable
    other = create_account(email="bob.other@example.com", password=PASSWORD)
    officer = create_account(
        email="officer@example.com", password=PASSWORD, role=Role.PRIVACY_OFFICER
    )
    secrets_of_the_person = [EMAIL, RECIPIENT, STREET, PHONE, CORRECTION_WORDS, email_index(EMAIL)]

    # and a backup of the main database taken before the erasure, holding their ciphertexts
    backup = take_backup(tmp_path)
    sealed = ciphertexts(backup, subject=user.subject)
    tables = {s.table for s in sealed}
    assert {
        "accounts_user",
        "orders_delivery",
        "checkout_savedaddress",
        "inbox_message",
        "privacy_subjectrequest",
    } <= tables
    assert open_sealed(subject=user.subject, blob=sealed[0].blob, context=sealed[0].context)

    # when the person's deletion request is approved
    request = open_request(subject=user.subject, kind=Kind.DELETION, via="account", actor=user)
    request = approve_deletion(request=request, actor=officer)
    assert request.status == Status.COMPLETED

    # then no personal value is in the raw bytes of the database files (main and key store)
    raw = raw_database_bytes()
    for value in secrets_of_the_person:
        assert value.encode() not in raw, "a personal value survived the erasure"

    # and not one ciphertext of the backup opens with the current key store and master keys
    for item in sealed:
        with pytest.raises(KeyDestroyed):
            open_sealed(subject=item.subject, blob=item.blob, context=item.context)
    # nor does any that remain in the live database
    (tmp_path / "after").mkdir()
    for item in ciphertexts(take_backup(tmp_path / "after"), subject=user.subject):
        with pytest.raises(KeyDestroyed):
            open_sealed(subject=item.subject, blob=item.blob, context=item.context)

    # while the other person's data still opens: the erasure was of that person only
    assert reveal(other, ["email"], purpose=Purpose.SELF_SERVICE, actor=other) == {
        "email": "bob.other@example.com"
    }
