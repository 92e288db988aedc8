"""`disclose_with_consent`: any disclosure outside the partner system needs the person's own
consent for that one instance (C5.6)."""

from __future__ import annotations

import uuid

import pytest

from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.audit.testing import audit_triggers_suspended  # noqa: F401
from lookout.sharing.consented import (
    ConsentRequired,
    InvalidConsent,
    consented_disclosures_for,
    disclose_with_consent,
    grant_instance_consent,
)
from lookout.sharing.models import ConsentedDisclosure, Disclosure, InstanceConsent
from lookout.testing.raw import raw_database_bytes

from .conftest import EMAIL

RECIPIENT = "Harbour Street Legal Clinic"
PURPOSE = "Evidence for my insurance claim about the stolen camera"
WORDING = (
    f"I agree that Lookout sends my email address once to {RECIPIENT} for: {PURPOSE}. "
    "This consent covers this one disclosure only."
)


def _consent(person: User, **overrides: object) -> InstanceConsent:
    given: dict[str, object] = {
        "subject": person.subject,
        "recipient_name": RECIPIENT,
        "fields": ["accounts.User.email"],
        "purpose_text": PURPOSE,
        "wording": WORDING,
        "actor": person,
    }
    return grant_instance_consent(**(given | overrides))  # type: ignore[arg-type]


def _disclose(person: User, consent_id: object, **overrides: object) -> dict[str, str | None]:
    given: dict[str, object] = {
        "recipient_name": RECIPIENT,
        "record": person,
        "fields": ["email"],
        "purpose_text": PURPOSE,
        "consent_id": consent_id,
        "actor": None,
    }
    return disclose_with_consent(**(given | overrides))  # type: ignore[arg-type]


def _refusals(person: User) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            subject_ref=str(person.subject), action="disclosure.consented", outcome="refused"
        )
    )


@pytest.mark.commitment("C5.6")
@pytest.mark.django_db
def test_without_a_consent_nothing_is_disclosed_and_the_refusal_is_audited(person: User) -> None:
    # given a person who consented to nothing
    reveals_before = AuditEntry.objects.filter(action="reveal", outcome="granted").count()

    # when the store tries to send their email to someone who is not a partner
    with pytest.raises(ConsentRequired) as refused:
        _disclose(person, None)

    # then it is refused (403), audited, and nothing was read or ledgered
    assert refused.value.status_code == 403
    assert EMAIL not in str(refused.value)
    [entry] = _refusals(person)
    assert entry.fields == ["accounts.User.email"]
    assert EMAIL not in str(entry.detail)
    assert AuditEntry.objects.filter(action="reveal", outcome="granted").count() == reveals_before
    assert not ConsentedDisclosure.objects.exists()
    assert not Disclosure.objects.exists()


@pytest.mark.commitment("C5.6", "C5.4")
@pytest.mark.django_db
def test_a_consent_allows_exactly_one_disclosure_which_is_ledgered(person: User) -> None:
    # given the person's consent to one disclosure of their email to one recipient
    consent = _consent(person)

    # when the store discloses it under that consent, then tries again
    values = _disclose(person, consent.pk)
    with pytest.raises(ConsentRequired) as second:
        _disclose(person, consent.pk)

    # then the first disclosure happened, is on the ledger and the audit log, and used it up
    assert values == {"email": EMAIL}
    [row] = consented_disclosures_for(person.subject)
    assert (row.consent_id, row.fields) == (consent.pk, ["accounts.User.email"])
    assert row.target == f"accounts.User:{person.pk}"
    consent.refresh_from_db()
    assert consent.used_at == row.at
    granted = AuditEntry.objects.get(action="disclosure.consented", outcome="granted")
    assert granted.subject_ref == str(person.subject)
    assert granted.fields == ["accounts.User.email"]
    # and the second attempt was refused: one consent, one instance
    assert "already" in str(second.value)
    assert len(_refusals(person)) == 1
    assert ConsentedDisclosure.objects.count() == 1


MISMATCHES: dict[str, dict[str, object]] = {
    "another recipient": {"recipient_name": "Some Data Broker Inc"},
    "another purpose": {"purpose_text": "Marketing research"},
    "fields not consented to": {"fields": ["email", "totp_secret"]},
    "a consent id that does not exist": {"consent_id": uuid.uuid4()},
    "a consent id that is not an id": {"consent_id": "not-a-uuid"},
}


@pytest.mark.commitment("C5.6")
@pytest.mark.parametrize("case", MISMATCHES)
@pytest.mark.django_db
def test_a_consent_covers_only_its_recipient_fields_and_purpose(person: User, case: str) -> None:
    # given a consent to send the email to one recipient for one purpose
    consent = _consent(person)
    overrides = dict(MISMATCHES[case])
    consent_id = overrides.pop("consent_id", consent.pk)

    # when a disclosure differs from it in one respect
    with pytest.raises(ConsentRequired):
        _disclose(person, consent_id, **overrides)

    # then nothing was disclosed, the refusal is audited, and the consent is still unused
    consent.refresh_from_db()
    assert consent.used_at is None
    assert not ConsentedDisclosure.objects.exists()
    assert len(_refusals(person)) == 1


@pytest.mark.commitment("C5.6")
@pytest.mark.django_db
def test_one_persons_consent_does_not_cover_another_persons_data(person: User) -> None:
    # given Ann's consent, and Bob who consented to nothing
    consent = _consent(person)
    bob = create_account(email="bob.example@example.com", password="a-long-passphrase-2")

    # when the store tries to use Ann's consent to disclose Bob's email
    with pytest.raises(ConsentRequired):
        _disclose(bob, consent.pk)

    # then nothing of Bob's left, and Ann's consent is untouched
    consent.refresh_from_db()
    assert consent.used_at is None
    assert len(_refusals(bob)) == 1
    assert not ConsentedDisclosure.objects.exists()


@pytest.mark.commitment("C5.6")
@pytest.mark.django_db
def test_staff_cannot_consent_for_a_person(person: User) -> None:
    # given a staff member
    officer = create_account(
        email="officer@example.com", password="staff-long-pass-1", role="privacy_officer"
    )

    # when they try to record a consent in the person's name, or an empty one
    with pytest.raises(InvalidConsent):
        _consent(person, actor=officer)
    with pytest.raises(InvalidConsent):
        _consent(person, fields=["accounts.User.role"])  # not a personal field
    with pytest.raises(InvalidConsent):
        _consent(person, wording="  ")

    # then no consent exists
    assert not InstanceConsent.objects.exists()


@pytest.mark.commitment("C5.6", "C4.2")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_triggers_suspended")
def test_the_consent_and_its_ledger_hold_no_plaintext(person: User) -> None:
    # given a consent used for one disclosure, committed to disk
    consent = _consent(person)
    _disclose(person, consent.pk)

    # then the recipient, purpose, wording and the disclosed email appear nowhere in plaintext
    stored = raw_database_bytes().decode("latin-1")
    for secret in (RECIPIENT, PURPOSE, EMAIL):
        assert secret not in stored


@pytest.mark.commitment("C5.4", "C5.6", "C6.2")
@pytest.mark.django_db
def test_a_consented_disclosure_is_shown_to_the_person_in_their_access_file(
    person: User,
) -> None:
    from lookout.privacy.access_file import build_document

    # Given a disclosure made under the person's one-off consent
    consent = _consent(person)
    _disclose(person, consent.pk)
    # When the person's access file is built
    document = build_document(subject=person.subject)
    # Then it names the recipient, the data, the purpose and the words they agreed to
    sections = {s["name"]: s["data"] for s in document["sections"]}
    shown = sections["consented_disclosures"]
    assert [(d["recipient"], d["data"], d["purpose"], d["you_agreed_to"]) for d in shown] == [
        (RECIPIENT, ["accounts.User.email"], PURPOSE, WORDING)
    ]
