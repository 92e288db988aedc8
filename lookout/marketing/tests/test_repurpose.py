"""No repurposing (C3.8): a purpose outside the fixed list needs that person's consent to
exactly that purpose; without it the gate refuses, on the audit log."""

from __future__ import annotations

import pytest
from django.apps import apps

from lookout.access import gate
from lookout.access.gate import AccessDenied, reveal
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.marketing.models import PurposeConsent
from lookout.marketing.repurpose import (
    InvalidPurpose,
    grant_purpose_consent,
    reveal_for_new_purpose,
    withdraw_purpose_consent,
)

EMAIL = "survey.person@example.com"
SURVEY = "product_survey"
WORDING = "Yes, you may email me one survey about my camera in 2026."


@pytest.fixture
def person(db):
    return create_account(email=EMAIL, password="long-enough-pass-1")


def _refusals(person, code: str) -> int:
    return AuditEntry.objects.filter(
        action="reveal.refused", subject_ref=str(person.subject), purpose=code
    ).count()


@pytest.mark.django_db
@pytest.mark.commitment("C3.8")
def test_without_consent_the_gate_refuses_a_new_purpose_and_audits_it(person):
    # when the store tries to read the email for a purpose outside the fixed list
    with pytest.raises(AccessDenied):
        reveal_for_new_purpose(person, ["email"], purpose_code=SURVEY, actor=None)
    # then the refusal is on the audit log, naming the purpose and the field, not the value
    entry = AuditEntry.objects.get(action="reveal.refused")
    assert entry.purpose == SURVEY and entry.fields == ["accounts.User.email"]
    assert EMAIL not in repr(entry.detail)


@pytest.mark.django_db
@pytest.mark.commitment("C3.8")
def test_the_plain_gate_refuses_any_purpose_outside_the_fixed_list(person):
    # the hook is in the gate itself: calling reveal directly gives the same refusal
    with pytest.raises(AccessDenied):
        reveal(person, ["email"], purpose="made_up_purpose", actor=None)
    assert _refusals(person, "made_up_purpose") == 1


@pytest.mark.django_db
@pytest.mark.commitment("C3.8")
def test_with_consent_for_exactly_that_purpose_the_store_may_read(person):
    # given the person's consent to the survey, with the wording they saw
    consent = grant_purpose_consent(
        subject=person.subject, purpose_code=SURVEY, wording=WORDING, actor=person
    )
    assert PurposeConsent.objects.get(pk=consent.pk).wording == WORDING
    # then the store may read the email for the survey, audited as granted
    values = reveal_for_new_purpose(person, ["email"], purpose_code=SURVEY, actor=None)
    assert values == {"email": EMAIL}
    assert AuditEntry.objects.filter(action="reveal", purpose=SURVEY, outcome="granted").exists()
    # but not for another new purpose the person never agreed to
    with pytest.raises(AccessDenied):
        reveal_for_new_purpose(person, ["email"], purpose_code="partner_offers", actor=None)


@pytest.mark.django_db
@pytest.mark.commitment("C3.8")
def test_the_gate_learns_of_consents_when_the_store_starts(person, monkeypatch):
    # Given a store starting afresh: the gate knows of no consent check yet, and the marketing
    # app starts (twice, as a reload can)
    monkeypatch.setattr(gate, "_consent_checks", [])
    apps.get_app_config("marketing").ready()
    apps.get_app_config("marketing").ready()
    grant_purpose_consent(subject=person.subject, purpose_code=SURVEY, wording=WORDING, actor=None)
    # Then the consented purpose is read, and another new purpose is still refused
    assert reveal_for_new_purpose(person, ["email"], purpose_code=SURVEY, actor=None) == {
        "email": EMAIL
    }
    with pytest.raises(AccessDenied):
        reveal_for_new_purpose(person, ["email"], purpose_code="partner_offers", actor=None)


@pytest.mark.django_db
@pytest.mark.commitment("C3.8")
def test_consent_never_opens_the_data_to_staff(person, staff):
    grant_purpose_consent(subject=person.subject, purpose_code=SURVEY, wording=WORDING, actor=None)
    for role in ("catalog_manager", "administrator", "privacy_officer"):
        member, _ = staff(role)
        with pytest.raises(AccessDenied):
            reveal_for_new_purpose(person, ["email"], purpose_code=SURVEY, actor=member)


@pytest.mark.django_db
@pytest.mark.commitment("C3.8")
def test_a_withdrawn_consent_stops_the_reads_at_once(person):
    grant_purpose_consent(subject=person.subject, purpose_code=SURVEY, wording=WORDING, actor=None)
    assert reveal_for_new_purpose(person, ["email"], purpose_code=SURVEY, actor=None)
    assert withdraw_purpose_consent(subject=person.subject, purpose_code=SURVEY, actor=person) == 1
    with pytest.raises(AccessDenied):
        reveal_for_new_purpose(person, ["email"], purpose_code=SURVEY, actor=None)
    assert _refusals(person, SURVEY) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["marketing", "self_service", "Bad Code", "x", "a" * 40, ""])
def test_fixed_or_malformed_purpose_codes_are_refused(person, code):
    with pytest.raises(InvalidPurpose):
        reveal_for_new_purpose(person, ["email"], purpose_code=code, actor=None)
    with pytest.raises(InvalidPurpose):
        grant_purpose_consent(subject=person.subject, purpose_code=code, wording="w", actor=None)
    assert not PurposeConsent.objects.exists()


@pytest.mark.django_db
def test_a_second_active_consent_for_the_same_purpose_is_a_conflict(person):
    from lookout.core.errors import Conflict

    grant_purpose_consent(subject=person.subject, purpose_code=SURVEY, wording=WORDING, actor=None)
    with pytest.raises(Conflict):
        grant_purpose_consent(
            subject=person.subject, purpose_code=SURVEY, wording=WORDING, actor=None
        )
    assert PurposeConsent.objects.count() == 1
