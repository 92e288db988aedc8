"""Restriction of processing (GDPR Art. 18, C6.9): asked for in the privacy centre, enforced by
the gate (staff read only for legal purposes, nobody for marketing), promotions skip the person,
analytics records nothing about them, until the privacy officer lifts it with a reason."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from lookout.access import restrictions, reveal
from lookout.access.gate import AccessDenied, Restricted, reveal_many
from lookout.access.roles import Role
from lookout.accounts.services import create_account, record_marketing_choice
from lookout.analytics.models import Event
from lookout.audit.models import AuditEntry
from lookout.core.errors import Conflict, Forbidden, LookoutError
from lookout.core.purposes import Purpose
from lookout.inbox.models import Message
from lookout.marketing import services as marketing
from lookout.privacy.models import LiftReason, ProcessingRestriction, RestrictionGround
from lookout.privacy.restriction import in_force, latest_for, lift_restriction, open_restriction
from lookout.privacy.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/140.0.0.0 Safari/537.36"
)


def _restrict(person) -> ProcessingRestriction:
    response = person.client.post(
        "/privacy/restriction/", {"ground": RestrictionGround.ACCURACY, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "restricted from now on" in response.content.decode()
    return ProcessingRestriction.objects.get(subject=person.user.subject)


def _titles(user, kind: str = "account") -> list[str | None]:
    return [
        reveal(m, ["title"], purpose=Purpose.SELF_SERVICE, actor=user)["title"]
        for m in Message.objects.filter(subject=user.subject, kind=kind).order_by("created_at")
    ]


def _beacon(client: Client):
    return client.post(
        "/analytics/beacon",
        json.dumps({"events": [{"kind": "view", "path": "/"}]}),
        content_type="text/plain",
        HTTP_USER_AGENT=CHROME,
    )


@pytest.mark.commitment("C6.9", "C6.1")
def test_asking_needs_the_password_and_a_ground(person):
    wrong = person.client.post(
        "/privacy/restriction/", {"ground": RestrictionGround.ACCURACY, "password": "nope"}
    )
    assert wrong.status_code in (400, 403)
    no_ground = person.client.post("/privacy/restriction/", {"password": PASSWORD})
    assert no_ground.status_code == 400
    assert "Choose why you want the processing restricted." in no_ground.content.decode()
    assert not ProcessingRestriction.objects.exists()
    assert Client().post("/privacy/restriction/", {"password": PASSWORD}).status_code == 302


@pytest.mark.commitment("C6.9")
def test_after_sales_cannot_read_a_restricted_persons_data_and_the_refusal_is_audited(
    person, staff
):
    after_sales, _ = staff(Role.AFTER_SALES)
    warehouse, _ = staff(Role.WAREHOUSE)
    officer, _ = staff(Role.PRIVACY_OFFICER)
    user = person.user
    delivery = person.orders[0].delivery
    # Before: after-sales reads the email for customer service.
    assert reveal(user, ["email"], purpose=Purpose.AFTER_SALES, actor=after_sales)["email"]

    restriction = _restrict(person)
    assert restriction.in_force and restriction.ground == RestrictionGround.ACCURACY
    assert AuditEntry.objects.filter(action="privacy.restriction_requested").count() == 1
    assert _titles(user) == ["The processing of your data is restricted"]

    # Customer service and fulfilment reads are refused with a clear message...
    with pytest.raises(Restricted) as refused:
        reveal(user, ["email"], purpose=Purpose.AFTER_SALES, actor=after_sales)
    assert "restricted the processing of their data" in refused.value.message
    assert refused.value.status_code == 403
    with pytest.raises(Restricted):
        reveal(delivery, ["name", "address"], purpose=Purpose.FULFILMENT, actor=warehouse)
    with pytest.raises(Restricted):  # the bulk gate too
        reveal_many([delivery], ["email"], purpose=Purpose.AFTER_SALES, actor=after_sales)
    # ...and nobody reads for marketing, not even the store itself.
    with pytest.raises(Restricted):
        reveal(user, ["email"], purpose=Purpose.MARKETING, actor=None)
    # Each refusal is on the audit log, marked as a restriction, naming the field.
    refusals = AuditEntry.objects.filter(action="reveal.refused", subject_ref=str(user.subject))
    assert refusals.count() == 4
    assert all(e.detail.get("restricted") is True and e.outcome == "refused" for e in refusals)
    assert "accounts.User.email" in refusals.filter(actor_role=Role.AFTER_SALES)[0].fields

    # A refusal the matrix makes anyway stays a plain refusal.
    with pytest.raises(AccessDenied) as plain:
        reveal(user, ["email"], purpose=Purpose.FULFILMENT, actor=warehouse)
    assert not isinstance(plain.value, Restricted)

    # Legal purposes still work: the officer for a legal obligation, the person themself.
    assert reveal(user, ["email"], purpose=Purpose.LEGAL, actor=officer)["email"]
    assert reveal(user, ["email"], purpose=Purpose.SELF_SERVICE, actor=user)["email"]
    # And the store's own notices to the person (their account emails) still go.
    assert reveal(user, ["email"], purpose=Purpose.ACCOUNT_NOTICE, actor=None)["email"]

    # Once lifted, after-sales reads again.
    lift_restriction(restriction=restriction, actor=officer, reason=LiftReason.ACCURACY_CHECKED)
    assert reveal(user, ["email"], purpose=Purpose.AFTER_SALES, actor=after_sales)["email"]


@pytest.mark.commitment("C6.9")
def test_a_promotion_skips_a_restricted_person(person, staff, django_capture_on_commit_callbacks):
    other = create_account(email="other.buyer@example.com", password=PASSWORD)
    record_marketing_choice(user=other, opted_in=True, wording="Email me offers.", source="signup")
    _restrict(person)  # the person is opted in to marketing (fixture) and now restricted
    manager, _ = staff(Role.CATALOG_MANAGER)
    promotion = marketing.create_promotion(title="Deals", body="20% off.", actor=manager)
    with django_capture_on_commit_callbacks(execute=True):
        marketing.send_promotion(promotion=promotion, actor=manager, site_url="https://x.test")
    assert _titles(other, "promotion") == ["Deals"]
    assert _titles(person.user, "promotion") == []
    promotion.refresh_from_db()
    assert promotion.recipients == 1


@pytest.mark.commitment("C6.9")
def test_analytics_records_nothing_for_a_restricted_person(person):
    anonymous = Client()
    assert _beacon(person.client).status_code == 204
    assert Event.objects.count() == 1
    _restrict(person)
    response = _beacon(person.client)
    assert response.status_code == 204 and response["X-Events-Kept"] == "0"
    assert Event.objects.count() == 1
    # Everyone else is still counted, anonymously as before.
    assert _beacon(anonymous)["X-Events-Kept"] == "1"
    assert Event.objects.count() == 2


@pytest.mark.commitment("C6.9")
def test_the_officer_lifts_with_a_reason_and_the_person_is_told(person, staff):
    restriction = _restrict(person)
    # Asking again while it is in force changes nothing.
    assert _restrict(person).pk == restriction.pk
    page = person.client.get("/privacy/").content.decode()
    assert "Restricted since" in page

    _, after_sales = staff(Role.AFTER_SALES)
    url = f"/privacy/queue/restrictions/{restriction.id}/lift/"
    assert after_sales.post(url, {"reason": LiftReason.PERSON_ASKED}).status_code == 404
    officer_user, officer = staff(Role.PRIVACY_OFFICER)
    queue = officer.get("/privacy/queue/").content.decode()
    assert str(RestrictionGround.ACCURACY.label) in queue
    no_reason = officer.post(url, {"reason": ""})
    assert no_reason.status_code == 400
    assert "Choose the reason the person will see." in no_reason.content.decode()
    restriction.refresh_from_db()
    assert restriction.in_force

    assert officer.post(url, {"reason": LiftReason.ACCURACY_CHECKED}).status_code == 302
    restriction.refresh_from_db()
    assert not restriction.in_force and restriction.lifted_by_role == Role.PRIVACY_OFFICER
    entry = AuditEntry.objects.get(action="privacy.restriction_lifted")
    assert entry.detail["reason"] == "accuracy_checked" and entry.actor_role == "privacy_officer"
    assert _titles(person.user)[-1] == "The restriction of your data is lifted"
    page = person.client.get("/privacy/").content.decode()
    assert str(LiftReason.ACCURACY_CHECKED.label) in page
    # Twice is refused.
    again = officer.post(url, {"reason": LiftReason.ACCURACY_CHECKED})
    assert again.status_code == 409 and "already been lifted" in again.content.decode()
    with pytest.raises(LookoutError, match="already been lifted"):
        lift_restriction(restriction=restriction, actor=officer_user, reason="person_asked")


@pytest.mark.commitment("C6.9")
def test_the_gate_learns_who_is_restricted_when_the_store_starts(person, staff, monkeypatch):
    # Given a store starting afresh: the gate knows of no restriction check yet, and the privacy
    # app starts (twice, as a reload can)
    monkeypatch.setattr(restrictions, "_checks", [])
    apps.get_app_config("privacy").ready()
    apps.get_app_config("privacy").ready()
    after_sales, _ = staff(Role.AFTER_SALES)
    _restrict(person)
    # Then a staff read of the restricted person is refused
    with CaptureQueriesContext(connection) as queries, pytest.raises(Restricted):
        reveal(person.user, ["email"], purpose=Purpose.AFTER_SALES, actor=after_sales)
    # And asking who is restricted took one look-up, not one per start
    asked = [q for q in queries.captured_queries if "privacy_processingrestriction" in q["sql"]]
    assert len(asked) == 1


@pytest.mark.commitment("C6.9")
def test_a_person_any_registered_check_names_is_restricted(person, monkeypatch):
    # Given one person restricted in the privacy centre, and another named by a second check
    # registered with the gate (the registry takes any number)
    other = create_account(email="other.buyer@example.com", password=PASSWORD)
    _restrict(person)
    monkeypatch.setattr(
        restrictions, "_checks", [*restrictions._checks, lambda asked: {other.subject} & asked]
    )
    # Then both are restricted, and someone neither check names is not
    third = create_account(email="third.buyer@example.com", password=PASSWORD)
    assert restrictions.restricted([person.user.subject, other.subject, third.subject]) == {
        person.user.subject,
        other.subject,
    }


def _words(user, kind: str = "account") -> list[tuple[str | None, str | None]]:
    return [
        tuple(reveal(m, ["title", "body"], purpose=Purpose.SELF_SERVICE, actor=user).values())
        for m in Message.objects.filter(subject=user.subject, kind=kind).order_by("created_at")
    ]


@pytest.mark.commitment("C6.9")
def test_the_person_is_told_what_it_means_and_later_why_it_was_lifted(person, staff):
    officer, _ = staff(Role.PRIVACY_OFFICER)
    restriction = _restrict(person)
    lift_restriction(restriction=restriction, actor=officer, reason=LiftReason.CLAIM_ENDED)
    assert _words(person.user) == [
        (
            "The processing of your data is restricted",
            "As you asked (GDPR Art. 18), from now on we only keep your data: no promotions, no "
            "analytics, and our staff may read it only for a legal obligation or to handle your "
            "requests, until our privacy officer lifts the restriction. We will tell you here "
            "before it is lifted, and why.",
        ),
        (
            "The restriction of your data is lifted",
            "Our privacy officer has lifted the restriction of processing you asked for on "
            f"{restriction.created_at:%Y-%m-%d}. Why: The legal claim you needed the data for "
            "has ended. Your choices about promotions and cookies are as you left them.",
        ),
    ]


@pytest.mark.commitment("C6.9", "C4.4")
def test_asking_and_lifting_are_audited_with_the_ground_the_channel_and_the_reason(person, staff):
    officer, _ = staff(Role.PRIVACY_OFFICER)
    restriction = _restrict(person)
    # The restriction records how it was asked for (signed in) and on what ground
    assert (restriction.via, restriction.ground) == ("account", "accuracy")
    asked = AuditEntry.objects.get(action="privacy.restriction_requested")
    assert asked.subject_ref == str(person.user.subject)
    assert asked.actor_ref == str(person.user.subject)
    assert asked.purpose == Purpose.SUBJECT_REQUEST
    assert asked.target == f"privacy.ProcessingRestriction:{restriction.pk}"
    assert asked.detail == {"ground": "accuracy", "via": "account"}
    lift_restriction(restriction=restriction, actor=officer, reason=LiftReason.PERSON_ASKED)
    lifted = AuditEntry.objects.get(action="privacy.restriction_lifted")
    assert lifted.subject_ref == str(person.user.subject)
    assert lifted.actor_ref == str(officer.subject)
    assert lifted.purpose == Purpose.SUBJECT_REQUEST
    assert lifted.target == f"privacy.ProcessingRestriction:{restriction.pk}"


@pytest.mark.commitment("C6.9")
def test_the_centre_shows_the_latest_restriction_and_the_queue_the_oldest_first(person, staff):
    officer, _ = staff(Role.PRIVACY_OFFICER)
    other = create_account(email="other.buyer@example.com", password=PASSWORD)
    start = timezone.now()
    with freeze_time(start):
        first = _restrict(person)
    with freeze_time(start + timedelta(minutes=1)):
        lift_restriction(restriction=first, actor=officer, reason=LiftReason.PERSON_ASKED)
    with freeze_time(start + timedelta(minutes=2)):
        asked_again = person.client.post(
            "/privacy/restriction/", {"ground": RestrictionGround.OBJECTION, "password": PASSWORD}
        )
    assert asked_again.status_code == 200
    again = ProcessingRestriction.objects.get(subject=person.user.subject, lifted_at=None)
    with freeze_time(start + timedelta(minutes=3)):
        open_restriction(
            subject=other.subject, ground=RestrictionGround.OBJECTION, via="account", actor=other
        )
    # The person sees the restriction in force, not the lifted one
    assert latest_for(subject=person.user.subject) == again
    assert "Restricted since" in person.client.get("/privacy/").content.decode()
    # The officer's queue lists those in force, oldest first
    assert [r.subject for r in in_force()] == [person.user.subject, other.subject]


@pytest.mark.commitment("C6.9")
def test_a_ground_or_a_lift_reason_outside_the_list_and_a_lift_by_anyone_else_are_refused(
    person, staff
):
    with pytest.raises(LookoutError) as no_ground:
        open_restriction(subject=person.user.subject, ground="because", via="account", actor=None)
    assert no_ground.value.message == "Choose why you want the processing of your data restricted."
    assert not ProcessingRestriction.objects.exists()
    restriction = _restrict(person)
    after_sales, _ = staff(Role.AFTER_SALES)
    officer, _ = staff(Role.PRIVACY_OFFICER)
    with pytest.raises(Forbidden) as not_officer:
        lift_restriction(restriction=restriction, actor=after_sales, reason="person_asked")
    assert (
        not_officer.value.message == "Only the privacy officer lifts a restriction of processing."
    )
    with pytest.raises(LookoutError) as no_reason:
        lift_restriction(restriction=restriction, actor=officer, reason="bored")
    assert no_reason.value.message == (
        "Choose the reason the person will see for lifting the restriction."
    )
    restriction.refresh_from_db()
    assert restriction.in_force
    # And once lifted, lifting again is refused, saying why
    lift_restriction(restriction=restriction, actor=officer, reason=LiftReason.PERSON_ASKED)
    with pytest.raises(Conflict) as twice:
        lift_restriction(restriction=restriction, actor=officer, reason=LiftReason.PERSON_ASKED)
    assert twice.value.message == "This restriction has already been lifted."


@pytest.mark.commitment("C6.9")
def test_asking_again_gives_back_the_persons_own_restriction_in_force(person):
    # Given the person's restriction in force, and another person's asked for after it
    other = create_account(email="other.buyer@example.com", password=PASSWORD)
    start = timezone.now()
    with freeze_time(start):
        current = _restrict(person)
    with freeze_time(start + timedelta(minutes=1)):
        open_restriction(
            subject=other.subject, ground=RestrictionGround.OBJECTION, via="account", actor=other
        )
    # When the person asks again, they are given their own restriction in force
    with freeze_time(start + timedelta(minutes=2)):
        again = open_restriction(
            subject=person.user.subject,
            ground=RestrictionGround.UNLAWFUL,
            via="account",
            actor=None,
        )
    assert again.pk == current.pk and again.ground == RestrictionGround.ACCURACY
    assert ProcessingRestriction.objects.filter(lifted_at=None).count() == 2


@pytest.mark.commitment("C6.9")
def test_nobody_signed_out_lifts_a_restriction(person):
    restriction = _restrict(person)
    with pytest.raises(Forbidden):
        lift_restriction(
            restriction=restriction,
            actor=AnonymousUser(),  # type: ignore[arg-type]
            reason=LiftReason.PERSON_ASKED,
        )
    restriction.refresh_from_db()
    assert restriction.in_force


@pytest.mark.commitment("C6.9", "C4.7")
def test_password_guesses_at_the_restriction_form_count_against_their_network(person, settings):
    # Given a limit of two wrong passwords per network
    settings.LOOKOUT_LOGIN_LIMIT_PER_IP = 2
    guessed = [create_account(email=f"guessed{n}@example.com", password=PASSWORD) for n in range(3)]

    def ask(user, password: str, ip: str):
        client = Client()
        client.force_login(user)
        return client.post(
            "/privacy/restriction/",
            {"ground": RestrictionGround.ACCURACY, "password": password},
            REMOTE_ADDR=ip,
        )

    # When two borrowed sessions guess wrong from one network
    for user in guessed[:2]:
        assert ask(user, "not-it", "198.51.100.9").status_code in (400, 403)
    # Then a third from that network is stopped, even with the right password
    assert ask(guessed[2], PASSWORD, "198.51.100.9").status_code == 429
    assert not ProcessingRestriction.objects.exists()
    # And someone on another network is not
    assert ask(person.user, PASSWORD, "203.0.113.5").status_code == 200
    assert ProcessingRestriction.objects.filter(subject=person.user.subject).exists()
