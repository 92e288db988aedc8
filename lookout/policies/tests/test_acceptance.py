"""Sign-up and orders record the version of each policy in force (C1.5); continued use after a
new version takes effect is recorded at the next sign-in or order (C8.3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time

from lookout.accounts.models import User
from lookout.policies.models import PolicyAcceptance
from lookout.policies.selectors import acceptances_for, current_versions, last_accepted
from lookout.policies.services import publish_version, record_acceptance, record_continued_use

from .conftest import NEW_PRIVACY

How = PolicyAcceptance.How


@pytest.mark.commitment("C1.5")
@pytest.mark.django_db
def test_sign_up_records_the_version_of_each_policy_in_force(
    make_customer: Callable[[str], User],
) -> None:
    with freeze_time("2027-01-05 09:00"):
        # Given a privacy version posted today that takes effect later
        publish_version(document="privacy", text=NEW_PRIVACY, effective_on=date(2027, 2, 1))
        ann = make_customer("ann")
        # When Ann signs up
        record_acceptance(subject=ann.subject, how=How.SIGNUP)
    # Then the three versions in force at that moment are recorded, not the coming one
    rows = acceptances_for(subject=ann.subject)
    assert sorted((r.version.document, r.version.number, r.how) for r in rows) == [
        ("privacy", 1, "signup"),
        ("refund", 1, "signup"),
        ("shipping", 1, "signup"),
    ]
    assert all(r.at == datetime(2027, 1, 5, 9, tzinfo=UTC) for r in rows)


@pytest.mark.commitment("C1.5")
@pytest.mark.django_db
def test_an_order_records_the_versions_it_was_placed_under(
    make_customer: Callable[[str], User],
) -> None:
    ann = make_customer("ann")
    with freeze_time("2027-01-05 09:00"):
        in_force = current_versions()
        # Even if a new version is posted between the order's start and its recording
        publish_version(document="refund", text="# Refund Policy\n\n90 days now.")
        record_acceptance(subject=ann.subject, how=How.ORDER, versions=in_force.values())
    assert {
        (r.version.document, r.version.number) for r in acceptances_for(subject=ann.subject)
    } == {("privacy", 1), ("shipping", 1), ("refund", 1)}


@pytest.mark.commitment("C8.3")
@pytest.mark.django_db
def test_continued_use_after_a_new_version_takes_effect_is_recorded_once(
    make_customer: Callable[[str], User],
) -> None:
    # Given Ann signed up under version 1, and version 2 of the privacy policy takes effect 1 Feb
    with freeze_time("2027-01-05 09:00"):
        ann = make_customer("ann")
        record_acceptance(subject=ann.subject, how=How.SIGNUP)
        v2 = publish_version(document="privacy", text=NEW_PRIVACY, effective_on=date(2027, 2, 1))
    # When she signs in before it takes effect, then nothing new is recorded
    with freeze_time("2027-01-31 23:00"):
        assert record_continued_use(subject=ann.subject) == []
    # When she signs in after it took effect, then version 2 is accepted by continued use
    with freeze_time("2027-02-03 08:00"):
        recorded = record_continued_use(subject=ann.subject)
    assert [(r.version, r.how) for r in recorded] == [(v2, "continued_use")]
    assert recorded[0].at == datetime(2027, 2, 3, 8, tzinfo=UTC)
    # And signing in again records nothing more; the last accepted version is version 2
    with freeze_time("2027-02-04 08:00"):
        assert record_continued_use(subject=ann.subject) == []
    assert last_accepted(subject=ann.subject)["privacy"] == v2
    assert acceptances_for(subject=ann.subject).count() == 4


@pytest.mark.commitment("C8.3")
@pytest.mark.django_db
def test_an_account_with_no_recorded_acceptance_accepts_what_is_in_force_by_continued_use(
    make_customer: Callable[[str], User],
) -> None:
    ann = make_customer("ann")
    recorded = record_continued_use(subject=ann.subject)
    assert sorted(r.version.document for r in recorded) == ["privacy", "refund", "shipping"]
    assert {r.how for r in recorded} == {"continued_use"}


@pytest.mark.django_db
def test_an_unknown_kind_of_acceptance_is_refused(make_customer: Callable[[str], User]) -> None:
    ann = make_customer("ann")
    with pytest.raises(ValueError, match="Unknown kind"):
        record_acceptance(subject=ann.subject, how="clickwrap")
    assert acceptances_for(subject=ann.subject).count() == 0


@pytest.mark.commitment("C1.5")
@pytest.mark.django_db
def test_the_ids_an_order_records_are_those_of_the_versions_in_force_then() -> None:
    from lookout.policies.selectors import current_version_ids

    with freeze_time("2027-01-05 09:00"):
        coming = publish_version(
            document="privacy", text=NEW_PRIVACY, effective_on=date(2027, 2, 1)
        )
        before = current_version_ids()
        assert before == {d: v.pk for d, v in current_versions().items()}
        assert coming.pk not in before.values() and len(before) == 3
    with freeze_time("2027-02-01 00:00"):
        after = current_version_ids()
        assert after == {d: v.pk for d, v in current_versions().items()}
        assert after["privacy"] == coming.pk
        assert {d: after[d] for d in ("refund", "shipping")} == {
            d: before[d] for d in ("refund", "shipping")
        }
