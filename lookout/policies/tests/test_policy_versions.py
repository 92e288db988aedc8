"""What publishing a policy version and recording its acceptance promise, seen from outside.

Publishing (C1.4, C8.3, C8.4): the operator is told in plain words why a version is refused; a
text is the same text whatever line endings the editor saved; a document without any version
starts at version 1; a material change needs its full notice period counted from the moment the
version is posted, to the second and in UTC days, whatever time zone the store is set to; every
publication is on the audit log with who published what, and when it takes effect.

Acceptance (C1.5, C8.3): the versions recorded are those in force at the moment of acceptance;
continued use records each document's new version once, for each person, even when two
requests of the same person meet; an order's acceptances cost one read and one insert.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from lookout.accounts.models import User
from lookout.audit.models import AuditEntry
from lookout.inbox.models import Message
from lookout.policies import notices, selectors
from lookout.policies.initial import initial_text
from lookout.policies.models import PolicyAcceptance, PolicyVersion
from lookout.policies.services import (
    PolicyRefused,
    publish_version,
    record_acceptance,
    record_continued_use,
)

from .conftest import NEW_PRIVACY

How = PolicyAcceptance.How
NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
CUSTOMER_PASSWORD = "a-long-passphrase-1"  # conftest's make_customer


def _refusal(**kwargs: object) -> str:
    """The words an operator is given when `publish_version(**kwargs)` is refused at NOW."""
    before = PolicyVersion.objects.count(), AuditEntry.objects.count()
    with freeze_time(NOW), pytest.raises(PolicyRefused) as refused:
        publish_version(**kwargs)  # type: ignore[arg-type]
    assert (PolicyVersion.objects.count(), AuditEntry.objects.count()) == before
    return refused.value.message


# Publishing: the refusals, word for word ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (
            {"document": "cookies", "text": "x"},
            "Unknown policy 'cookies': choose one of privacy, shipping, refund.",
        ),
        ({"document": "privacy", "text": " \r\n\t "}, "The policy text is empty."),
        (
            {"document": "privacy", "text": "x" * 200_001},
            "The policy text is too long (at most 200,000 characters).",
        ),
        (
            {"document": "privacy", "text": "a\x00b"},
            "The policy text contains a NUL character; is it really a text file?",
        ),
        (
            {"document": "privacy", "text": "New", "summary": "s" * 2_001},
            "The summary of changes is too long (at most 2,000 characters).",
        ),
        (
            {"document": "privacy", "text": "New", "summary": "Less\x00"},
            "The summary of changes contains a NUL character; is it really a text file?",
        ),
        (
            {
                "document": "privacy",
                "text": "New",
                "summary": "  \r\n ",
                "material": True,
                "effective_on": date(2027, 6, 1),
            },
            "A material change needs a summary of changes: it goes to every customer's inbox.",
        ),
        (
            {"document": "privacy", "text": "New", "effective_on": date(2027, 2, 28)},
            "The effective date 28 February 2027 is in the past: a version takes effect when it "
            "is posted at the earliest.",
        ),
    ],
)
def test_a_refused_publication_says_exactly_why_and_changes_nothing(
    kwargs: dict, words: str
) -> None:
    assert _refusal(**kwargs) == words


@pytest.mark.django_db
def test_the_longest_text_and_summary_allowed_are_published() -> None:
    # a text of exactly 200,000 characters and a summary of exactly 2,000 (after trimming)
    with freeze_time(NOW):
        v = publish_version(
            document="privacy", text=" " + "x" * 200_000 + "\n", summary="s" * 2_000 + " "
        )
    assert len(v.text) == 200_000 and len(v.summary) == 2_000


@pytest.mark.django_db
def test_a_too_long_file_is_refused_on_the_publishing_page_in_those_words(
    admin_client: Callable[[], Client],
) -> None:
    upload = SimpleUploadedFile("privacy.md", b"x" * 200_001, "text/markdown")
    response = admin_client().post("/policies/manage/", {"document": "privacy", "file": upload})
    assert response.status_code == 400
    assert "The policy text is too long (at most 200,000 characters)." in response.text
    assert PolicyVersion.objects.count() == 3


# Publishing: the text as posted ----------------------------------------------------------------


@pytest.mark.django_db
def test_windows_line_endings_are_stored_as_plain_line_breaks() -> None:
    with freeze_time(NOW):
        v = publish_version(
            document="shipping", text="# Shipping Policy\r\n\r\nFree.\r\nAlways.\r\n"
        )
    v.refresh_from_db()
    assert v.text == "# Shipping Policy\n\nFree.\nAlways."


@pytest.mark.django_db
def test_the_same_text_saved_with_windows_line_endings_is_not_a_new_version(
    admin_client: Callable[[], Client],
) -> None:
    # given the refund policy's version 1, saved again by an editor that writes CRLF
    crlf = initial_text("refund").replace("\n", "\r\n").encode()
    upload = SimpleUploadedFile("refund.md", crlf, "text/markdown")
    # when it is uploaded as a new version
    response = admin_client().post("/policies/manage/", {"document": "refund", "file": upload})
    # then nothing is published, and the operator is told why
    assert response.status_code == 400
    assert "This text is the same as version 1: nothing to publish." in response.text
    assert PolicyVersion.objects.filter(document="refund").count() == 1


@pytest.mark.django_db
def test_a_document_without_any_version_starts_at_version_1(
    admin_client: Callable[[], Client],
) -> None:
    # given a shipping policy that has no version at all yet
    PolicyVersion.objects.filter(document="shipping").delete()
    assert Client().get("/policies/shipping/").status_code == 404
    with freeze_time(NOW):
        client = admin_client()
        # when an administrator publishes one
        response = client.post(
            "/policies/manage/", {"document": "shipping", "text": "# Shipping Policy\n\nFree."}
        )
        assert response.status_code == 302
        page = client.get("/policies/manage/")
        public = Client().get("/policies/shipping/")
    # then it is version 1, in force and public
    assert "Shipping Policy v1 is posted" in page.text
    assert public.status_code == 200 and "Free." in public.text
    assert list(PolicyVersion.objects.filter(document="shipping").values_list("number")) == [(1,)]
    # and the next one is version 2
    with freeze_time(NOW + timedelta(hours=1)):
        assert publish_version(document="shipping", text="# Shipping\n\nFast.").number == 2


@pytest.mark.django_db
def test_a_version_posted_on_the_real_clock_takes_effect_at_its_posting_moment() -> None:
    # no frozen clock: the moment recorded as posted is the moment it takes effect
    before = datetime.now(UTC)
    v = publish_version(document="refund", text="# Refund Policy\n\n60 days.")
    v.refresh_from_db()
    assert before <= v.posted_at == v.effective_at <= datetime.now(UTC)
    assert selectors.in_force(document="refund") == v


# Publishing: the notice period of a material change, at its boundaries ----------------------


def _material(day: date) -> PolicyVersion:
    return publish_version(
        document="privacy", text=NEW_PRIVACY, summary="Less.", material=True, effective_on=day
    )


@pytest.mark.django_db
def test_a_change_posted_at_midnight_may_take_effect_exactly_30_days_later() -> None:
    # given a clock that moves on by a second at every reading, as it does while the
    # publication waits for its lock: the notice counts from the moment recorded as posted
    with freeze_time("2027-03-02 00:00:00", auto_tick_seconds=1):
        v = _material(date(2027, 4, 1))
    assert v.posted_at == datetime(2027, 3, 2, tzinfo=UTC)
    assert v.effective_at - v.posted_at == timedelta(days=30)


@pytest.mark.django_db
def test_a_second_after_midnight_the_notice_runs_into_the_next_day() -> None:
    with freeze_time("2027-03-02 00:00:01"), pytest.raises(PolicyRefused) as refused:
        _material(date(2027, 4, 1))
    assert refused.value.message == (
        "A material change needs at least 30 days' notice to every registered customer, so "
        "1 April 2027 is too soon: choose 2 April 2027 or later."
    )
    assert PolicyVersion.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("moment", "earliest"),
    [
        ("2027-03-02 00:00:00", "1 April 2027"),
        ("2027-03-02 00:00:01", "2 April 2027"),
        ("2027-03-01 23:59:59", "1 April 2027"),
    ],
)
def test_the_publishing_page_names_the_earliest_day_a_material_change_may_take_effect(
    admin_client: Callable[[], Client], moment: str, earliest: str
) -> None:
    with freeze_time(moment):
        page = admin_client().get("/policies/manage/")
    assert page.status_code == 200
    assert "at least 30 days' notice: the earliest date today is" in page.text.replace(
        "&#x27;", "'"
    )
    assert f">{earliest}</time>" in page.text


@pytest.mark.django_db
def test_in_a_store_set_to_new_york_the_notice_is_still_30_days_counted_in_utc(
    settings, admin_client: Callable[[], Client]
) -> None:
    # given a store whose time zone is New York, at 21:00 there on 28 February (2:00 UTC on
    # 1 March): 30 days on is 31 March 2:00 UTC, so the first whole UTC day is 1 April
    settings.TIME_ZONE = "America/New_York"
    with freeze_time("2027-03-01 02:00:00"):
        page = admin_client().get("/policies/manage/")
        # when a material change is to take effect on 31 March (00:00 UTC, 2 hours short)
        with pytest.raises(PolicyRefused) as refused:
            _material(date(2027, 3, 31))
    # then it is refused, and the page and the refusal both name 1 April
    assert ">1 April 2027</time>" in page.text
    assert "31 March 2027 is too soon: choose 1 April 2027 or later." in refused.value.message
    assert PolicyVersion.objects.count() == 3


@pytest.mark.django_db
def test_in_a_store_set_to_new_york_yesterday_in_utc_is_in_the_past(settings) -> None:
    # given 21:00 on 28 February in New York, already 1 March in UTC
    settings.TIME_ZONE = "America/New_York"
    with freeze_time("2027-03-01 02:00:00"), pytest.raises(PolicyRefused) as refused:
        publish_version(
            document="shipping", text="# Shipping\n\nNew.", effective_on=date(2027, 2, 28)
        )
    assert refused.value.message.startswith("The effective date 28 February 2027 is in the past")
    assert PolicyVersion.objects.count() == 3


@pytest.mark.django_db
def test_in_a_store_set_to_tokyo_today_in_utc_is_not_in_the_past(
    settings, admin_client: Callable[[], Client]
) -> None:
    # given 5:00 on 2 March in Tokyo, still 1 March in UTC
    settings.TIME_ZONE = "Asia/Tokyo"
    with freeze_time("2027-03-01 20:00:00"):
        client = admin_client()
        # when an administrator publishes a version effective 1 March
        response = client.post(
            "/policies/manage/",
            {"document": "shipping", "text": "# Shipping\n\nNew.", "effective_on": "2027-03-01"},
        )
    # then it is posted, and in force from its posting
    assert response.status_code == 302
    v = PolicyVersion.objects.get(document="shipping", number=2)
    assert v.effective_at == v.posted_at == datetime(2027, 3, 1, 20, tzinfo=UTC)


# Publishing: the audit log ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_audit_log_names_the_administrator_and_what_was_published(
    admin_client: Callable[[], Client],
) -> None:
    with freeze_time(NOW):
        client = admin_client()
        response = client.post(
            "/policies/manage/",
            {
                "document": "privacy",
                "text": NEW_PRIVACY,
                "summary": "IPs.",
                "material": "on",
                "effective_on": "2027-04-01",
            },
        )
    assert response.status_code == 302
    admin = User.objects.get(role="administrator")
    v = PolicyVersion.objects.get(document="privacy", number=2)
    entry = AuditEntry.objects.get(action="policy.published")
    assert (entry.actor_ref, entry.actor_role) == (str(admin.subject), "administrator")
    assert entry.target == f"policies.PolicyVersion:{v.pk}"
    assert entry.detail == {
        "document": "privacy",
        "number": 2,
        "material": True,
        "effective_at": "2027-04-01T00:00:00+00:00",
    }


@pytest.mark.django_db
def test_a_change_that_is_not_material_is_audited_as_such_with_its_moment() -> None:
    with freeze_time(NOW):
        publish_version(document="refund", text="# Refund Policy\n\n60 days.")
    entry = AuditEntry.objects.get(action="policy.published")
    assert entry.actor_ref == "system"
    assert entry.detail == {
        "document": "refund",
        "number": 2,
        "material": False,
        "effective_at": "2027-03-01T10:00:00+00:00",
    }


# Acceptance -------------------------------------------------------------------------------------


def _new_privacy_in_force_on_1_february() -> PolicyVersion:
    with freeze_time("2027-01-05 09:00"):
        return publish_version(document="privacy", text=NEW_PRIVACY, effective_on=date(2027, 2, 1))


def _recorded(subject: uuid.UUID) -> list[tuple[str, int, str, datetime]]:
    return sorted(
        (r.version.document, r.version.number, r.how, r.at)
        for r in selectors.acceptances_for(subject=subject)
    )


@pytest.mark.django_db
def test_an_acceptance_recorded_for_a_moment_names_the_versions_in_force_then(
    make_customer: Callable[[str], User],
) -> None:
    ann = make_customer("ann")
    _new_privacy_in_force_on_1_february()
    moment = datetime(2027, 1, 20, 12, tzinfo=UTC)
    # when, on 3 February, an order placed on 20 January has its acceptance recorded
    with freeze_time("2027-02-03 08:00"):
        record_acceptance(subject=ann.subject, how=How.ORDER, at=moment)
    # then it names the versions in force on 20 January, at that moment
    assert _recorded(ann.subject) == [
        ("privacy", 1, "order", moment),
        ("refund", 1, "order", moment),
        ("shipping", 1, "order", moment),
    ]


@pytest.mark.django_db
def test_a_sign_up_recorded_for_a_moment_gets_the_notice_of_a_change_pending_then(
    make_customer: Callable[[str], User],
) -> None:
    # given a material change posted 1 March, in force from 1 April
    with freeze_time(NOW):
        v = _material(date(2027, 4, 1))
    newcomer = make_customer("newcomer")
    # when, on 2 April, a sign-up of 15 March is recorded
    with freeze_time("2027-04-02 08:00"):
        record_acceptance(
            subject=newcomer.subject, how=How.SIGNUP, at=datetime(2027, 3, 15, tzinfo=UTC)
        )
    # then the newcomer, who signed up while it was pending, was told of it
    told = Message.objects.filter(
        subject=newcomer.subject,
        dedupe_key=notices.dedupe_key(version=v, subject=newcomer.subject),
    )
    assert told.count() == 1
    assert [n for _, n, _, _ in _recorded(newcomer.subject)] == [1, 1, 1]


@pytest.mark.django_db
def test_continued_use_recorded_for_a_moment_names_the_version_in_force_then(
    make_customer: Callable[[str], User],
) -> None:
    ann = make_customer("ann")
    with freeze_time("2027-01-05 09:00"):
        record_acceptance(subject=ann.subject, how=How.SIGNUP)
    v2 = _new_privacy_in_force_on_1_february()
    moment = datetime(2027, 2, 3, 8, tzinfo=UTC)
    # when, the clock still on 31 January, a visit of 3 February is recorded
    with freeze_time("2027-01-31 23:00"):
        recorded = record_continued_use(subject=ann.subject, at=moment)
    # then version 2, in force at that visit, is accepted by continued use at that moment
    assert [(r.version, r.how, r.at) for r in recorded] == [(v2, "continued_use", moment)]
    assert ("privacy", 2, "continued_use", moment) in _recorded(ann.subject)


def _sign_in(client: Client, email: str) -> int:
    response = client.post("/accounts/login/", {"email": email, "password": CUSTOMER_PASSWORD})
    return response.status_code


@pytest.mark.django_db
def test_signing_in_accepts_a_new_shipping_policy_though_the_privacy_policy_is_unchanged(
    make_customer: Callable[[str], User],
) -> None:
    # given Ann, who accepted the three first versions when she signed up
    with freeze_time("2027-01-05 09:00"):
        ann = make_customer("ann")
        record_acceptance(subject=ann.subject, how=How.SIGNUP)
        # and a new shipping policy (privacy comes first, and is unchanged)
        shipping = publish_version(document="shipping", text="# Shipping\n\nNew.")
    # when she signs in
    with freeze_time("2027-01-06 09:00"):
        assert _sign_in(Client(), "ann@example.com") == 302
    # then the new shipping policy is accepted by continued use, and nothing else
    continued = PolicyAcceptance.objects.filter(subject=ann.subject, how=How.CONTINUED_USE)
    assert [r.version for r in continued] == [shipping]


@pytest.mark.django_db
def test_two_people_signing_in_after_a_new_version_each_accept_it(
    make_customer: Callable[[str], User],
) -> None:
    # given Ann and Bob, both under version 1, and version 2 in force from 1 February
    with freeze_time("2027-01-05 09:00"):
        for name in ("ann", "bob"):
            record_acceptance(subject=make_customer(name).subject, how=How.SIGNUP)
    v2 = _new_privacy_in_force_on_1_february()
    # when both sign in after it took effect
    with freeze_time("2027-02-03 08:00"):
        codes = [_sign_in(Client(), f"{name}@example.com") for name in ("ann", "bob")]
    # then both sign-ins succeed, and each accepted version 2 once, by continued use
    assert codes == [302, 302]
    rows = PolicyAcceptance.objects.filter(version=v2, how=How.CONTINUED_USE)
    assert sorted(str(r.subject) for r in rows) == sorted(
        str(u.subject) for u in User.objects.filter(role="")
    )


@pytest.fixture
def another_request_records_after_this_one_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[Callable[[uuid.UUID], None]], None]:
    """Two requests of the same person at once: the other one commits its acceptance just after
    this one has read what the person accepted (what a race between them comes to)."""

    def arrange(other: Callable[[uuid.UUID], None]) -> None:
        real = selectors.last_accepted

        def read_then_the_other_commits(*, subject: uuid.UUID) -> dict[str, PolicyVersion]:
            seen = real(subject=subject)
            monkeypatch.setattr(selectors, "last_accepted", real)  # the other reads normally
            other(subject)
            return seen

        monkeypatch.setattr(selectors, "last_accepted", read_then_the_other_commits)

    return arrange


@pytest.mark.django_db
def test_two_sign_ins_at_once_record_continued_use_once_and_only_the_first_reports_it(
    make_customer: Callable[[str], User], another_request_records_after_this_one_reads
) -> None:
    ann = make_customer("ann")
    with freeze_time("2027-01-05 09:00"):
        record_acceptance(subject=ann.subject, how=How.SIGNUP)
    v2 = _new_privacy_in_force_on_1_february()
    first: list[PolicyAcceptance] = []
    another_request_records_after_this_one_reads(
        lambda subject: first.extend(record_continued_use(subject=subject))
    )
    # when two sign-ins of Ann meet, both having read that she accepted only version 1
    with freeze_time("2027-02-03 08:00"):
        second = record_continued_use(subject=ann.subject)
    # then version 2 is accepted once, reported by the sign-in that recorded it, not the other
    assert [r.version for r in first] == [v2]
    assert second == []
    assert PolicyAcceptance.objects.filter(subject=ann.subject, version=v2).count() == 1


@pytest.mark.django_db
def test_a_sign_in_meeting_an_order_of_the_same_person_still_succeeds(
    make_customer: Callable[[str], User], another_request_records_after_this_one_reads
) -> None:
    ann = make_customer("ann")
    v2 = _new_privacy_in_force_on_1_february()
    # given an order of Ann's recording the versions in force just after her sign-in read
    another_request_records_after_this_one_reads(
        lambda subject: record_acceptance(subject=subject, how=How.ORDER)
    )
    # when the sign-in then records her continued use
    with freeze_time("2027-02-03 08:00"):
        recorded = record_continued_use(subject=ann.subject)
    # then it records and reports its own continued use, beside the order's acceptance
    assert sorted((r.version.document, r.version.number, r.how) for r in recorded) == [
        ("privacy", 2, "continued_use"),
        ("refund", 1, "continued_use"),
        ("shipping", 1, "continued_use"),
    ]
    assert {r.how for r in PolicyAcceptance.objects.filter(version=v2)} == {
        "order",
        "continued_use",
    }


@pytest.mark.django_db
def test_an_orders_acceptances_cost_one_read_and_one_insert_in_its_transaction(
    make_customer: Callable[[str], User],
) -> None:
    ann = make_customer("ann")
    # every order records this inside its own transaction: nothing more than the read of the
    # versions in force and one insert for the three rows
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        rows = record_acceptance(subject=ann.subject, how=How.ORDER)
    assert len(rows) == 3
    assert [q["sql"].split()[0].upper() for q in queries.captured_queries] == [
        "SELECT",
        "INSERT",
    ]
