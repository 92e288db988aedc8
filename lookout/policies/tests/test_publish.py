"""Publishing rules: effective on posting or later (C8.3), material changes need notice (C8.4),
each document numbered on its own (C1.4)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time

from lookout.audit.models import AuditEntry
from lookout.inbox.models import Message
from lookout.policies.models import PolicyVersion
from lookout.policies.selectors import current_versions
from lookout.policies.services import PolicyRefused, publish_version

from .conftest import NEW_PRIVACY

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


def _snapshot() -> tuple[int, int, int]:
    return PolicyVersion.objects.count(), Message.objects.count(), AuditEntry.objects.count()


@pytest.mark.commitment("C1.4")
@pytest.mark.django_db
def test_the_three_documents_are_separate_and_versioned_on_their_own() -> None:
    # Given the first versions shipped with the store
    first = current_versions()
    assert set(first) == {"privacy", "shipping", "refund"}
    assert {v.number for v in first.values()} == {1}
    # When the shipping policy gets two new versions
    with freeze_time(NOW):
        publish_version(document="shipping", text="# Shipping Policy\n\nFree. Always.")
        publish_version(document="shipping", text="# Shipping Policy\n\nFree. Always!")
        # Then only shipping moved on; privacy and refund keep their own version 1
        now = current_versions()
    assert now["shipping"].number == 3
    assert now["privacy"] == first["privacy"] and now["refund"] == first["refund"]


@pytest.mark.commitment("C8.3")
@pytest.mark.django_db
def test_a_version_takes_effect_when_posted() -> None:
    with freeze_time(NOW):
        # When a version is posted without an effective date
        v = publish_version(
            document="privacy", text=NEW_PRIVACY, summary="IP truncation explained."
        )
        # Then it is in force at once
        assert v.posted_at == v.effective_at == NOW
        assert current_versions()["privacy"] == v


@pytest.mark.commitment("C8.3")
@pytest.mark.django_db
def test_a_later_effective_date_is_kept_and_the_old_version_rules_until_then() -> None:
    with freeze_time(NOW) as clock:
        # Given a version posted now that takes effect on 10 March
        v = publish_version(document="privacy", text=NEW_PRIVACY, effective_on=date(2027, 3, 10))
        assert v.effective_at == datetime(2027, 3, 10, tzinfo=UTC)
        # Then version 1 stays in force until the last second of 9 March
        clock.move_to("2027-03-09 23:59:59")
        assert current_versions()["privacy"].number == 1
        # And version 2 is in force from the first second of 10 March
        clock.move_to("2027-03-10 00:00:00")
        assert current_versions()["privacy"] == v


@pytest.mark.commitment("C8.3")
@pytest.mark.django_db
def test_an_effective_date_in_the_past_is_refused() -> None:
    before = _snapshot()
    with freeze_time(NOW), pytest.raises(PolicyRefused, match="in the past"):
        publish_version(document="privacy", text=NEW_PRIVACY, effective_on=date(2027, 2, 28))
    assert _snapshot() == before


@pytest.mark.commitment("C8.4")
@pytest.mark.django_db
@pytest.mark.parametrize("day", [None, date(2027, 3, 1), date(2027, 3, 15), date(2027, 3, 31)])
def test_a_material_change_with_too_short_notice_is_refused_and_changes_nothing(
    day: date | None,
) -> None:
    # Given the default notice period of 30 days, posted on 1 March at 10:00
    before = _snapshot()
    # When a material change is to take effect before 31 March 10:00 (or no date is given)
    with freeze_time(NOW), pytest.raises(PolicyRefused) as refused:
        publish_version(
            document="privacy",
            text=NEW_PRIVACY,
            summary="We keep less.",
            material=True,
            effective_on=day,
        )
    # Then it is refused with the earliest allowed date, and nothing was posted or sent
    assert "at least 30 days' notice" in refused.value.message
    assert "choose 1 April 2027 or later" in refused.value.message
    assert _snapshot() == before


@pytest.mark.commitment("C8.4")
@pytest.mark.django_db
def test_a_material_change_with_the_full_notice_period_is_posted() -> None:
    with freeze_time(NOW):
        v = publish_version(
            document="privacy",
            text=NEW_PRIVACY,
            summary="We keep less.",
            material=True,
            effective_on=date(2027, 4, 1),
        )
        assert v.material and v.effective_at == datetime(2027, 4, 1, tzinfo=UTC)
        assert current_versions()["privacy"].number == 1  # not before the notice ran out


@pytest.mark.commitment("C8.4")
@pytest.mark.django_db
def test_the_operator_can_lengthen_the_notice_period(settings) -> None:
    settings.LOOKOUT_POLICY_NOTICE_DAYS = 60
    with freeze_time(NOW), pytest.raises(PolicyRefused, match="choose 1 May 2027 or later"):
        publish_version(
            document="refund",
            text="# Refund Policy\n\nNew.",
            summary="New.",
            material=True,
            effective_on=date(2027, 4, 1),
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"document": "cookies", "text": "x"}, "Unknown policy"),
        ({"document": "privacy", "text": "   "}, "empty"),
        ({"document": "privacy", "text": "a\x00b"}, "NUL"),
        ({"document": "privacy", "text": "x" * 200_001}, "too long"),
        (
            {
                "document": "privacy",
                "text": "New",
                "material": True,
                "effective_on": date(2027, 6, 1),
            },
            "needs a summary",
        ),
    ],
)
def test_bad_publications_are_refused_with_a_clear_message(kwargs: dict, message: str) -> None:
    before = _snapshot()
    with freeze_time(NOW), pytest.raises(PolicyRefused, match=message):
        publish_version(**kwargs)
    assert _snapshot() == before


@pytest.mark.django_db
def test_the_same_text_again_is_refused() -> None:
    from lookout.policies.initial import initial_text

    with freeze_time(NOW), pytest.raises(PolicyRefused, match="same as version 1"):
        publish_version(document="refund", text=initial_text("refund"))


@pytest.mark.commitment("C8.3")
@pytest.mark.django_db
def test_a_newer_version_cannot_take_effect_before_a_pending_one() -> None:
    with freeze_time(NOW):
        publish_version(
            document="privacy",
            text=NEW_PRIVACY,
            summary="Less.",
            material=True,
            effective_on=date(2027, 4, 10),
        )
        before = _snapshot()
        with pytest.raises(PolicyRefused, match="cannot take effect before it"):
            publish_version(document="privacy", text=NEW_PRIVACY + "\n\nTypo fixed.")
        assert _snapshot() == before


@pytest.mark.django_db
def test_publishing_is_on_the_audit_log() -> None:
    with freeze_time(NOW):
        v = publish_version(document="shipping", text="# Shipping\n\nFree.")
    entry = AuditEntry.objects.filter(action="policy.published").get()
    assert entry.target == f"policies.PolicyVersion:{v.pk}"
