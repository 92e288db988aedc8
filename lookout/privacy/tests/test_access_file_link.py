"""The access file's link and record (C6.2): a file is built for the one request it was asked
for, stored as the person's data written as it is, and handed out through a link that works
for the hours the store sets, for that person alone; every other link gets the same answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from freezegun import freeze_time

from lookout.access import reveal
from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.audit.models import AuditEntry
from lookout.core.errors import NotFound
from lookout.core.purposes import Purpose
from lookout.orders.testing import place
from lookout.privacy.access_file import (
    LINK_GONE,
    build_access_file,
    download_path,
    open_access_file,
)
from lookout.privacy.models import Kind, Reason, Status, SubjectRequest, Via
from lookout.privacy.services import open_request
from lookout.privacy.tests.conftest import EMAIL, GUEST_EMAIL, PASSWORD, RECIPIENT

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def _ask_for_access(client: Client, django_capture_on_commit_callbacks) -> SubjectRequest:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/privacy/requests/", {"kind": Kind.ACCESS, "password": PASSWORD})
    assert response.status_code == 302
    return SubjectRequest.objects.filter(kind=Kind.ACCESS).latest("created_at")


def _link_on_page(client: Client, request: SubjectRequest) -> tuple[str, str]:
    page = client.get(f"/privacy/requests/{request.id}/").content.decode()
    return page.split('class="download" href="', 1)[1].split('"', 1)[0], page


def _signed_in(email: str, *, name: str = RECIPIENT) -> tuple[User, Client]:
    user = create_account(email=email, password=PASSWORD)
    place(user=user, name=name)
    client = Client()
    client.force_login(user)
    return user, client


def _access_request(user: User) -> SubjectRequest:
    """An access request as the privacy centre records it, its file not built yet."""
    return open_request(subject=user.subject, kind=Kind.ACCESS, via=Via.ACCOUNT, actor=user)


def _assert_gone(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 404
    page = response.content.decode()
    assert LINK_GONE in page
    assert EMAIL not in page and RECIPIENT not in page


@pytest.mark.commitment("C6.2")
def test_a_link_works_for_exactly_the_hours_the_store_sets_and_not_a_second_more(
    person, settings, django_capture_on_commit_callbacks
):
    # given a store whose download links last 6 hours, not the default 48
    settings.LOOKOUT_ACCESS_LINK_HOURS = 6

    with freeze_time(T0) as clock:
        # when the person's file is built and they open their request's page
        request = _ask_for_access(person.client, django_capture_on_commit_callbacks)
        link, page = _link_on_page(person.client, request)
        # then the page says how long the link works
        assert "this link works for 6 hours" in page

        # and the link works up to the last second of the sixth hour
        clock.move_to(T0 + timedelta(hours=6))
        assert person.client.get(link).status_code == 200
        # and not a second later, when it gets the answer of a gone link
        clock.move_to(T0 + timedelta(hours=6, seconds=1))
        _assert_gone(person.client.get(link))


@pytest.mark.commitment("C6.2")
def test_the_request_is_decided_by_the_store_when_the_file_is_made_and_that_is_on_record(
    person, django_capture_on_commit_callbacks
):
    # when the person's access file is built
    with freeze_time(T0):
        request = _ask_for_access(person.client, django_capture_on_commit_callbacks)
    request.refresh_from_db()

    # then the request is completed by the store itself (no staff role), decided at that
    # moment (its retention period counts from it)
    assert request.status == Status.COMPLETED
    assert request.file_ready_at == T0 and request.decided_at == T0
    assert request.decision_reason == Reason.DONE
    assert request.decided_by_role == "system"
    # and the person sees when it was decided and why
    _, page = _link_on_page(person.client, request)
    assert "2 March 2026, 09:00 UTC" in page.split("<dt>Decided</dt>", 1)[1]
    assert Reason.DONE.label in page

    # and the audit log says the store built the file of that request, for the request, with
    # its number of sections and its size
    [entry] = AuditEntry.objects.filter(action="privacy.access_file_built")
    assert entry.actor_ref == "system"
    assert entry.subject_ref == str(person.user.subject)
    assert entry.target == f"privacy.SubjectRequest:{request.id}"
    assert entry.purpose == "subject_request"
    text = reveal(request, ["access_file"], purpose=Purpose.SUBJECT_REQUEST, actor=None)
    stored = text["access_file"] or ""
    assert set(entry.detail) == {"sections", "bytes"}
    assert entry.detail["sections"] == len(json.loads(stored)["sections"])
    # (the size of the file the person downloads, in bytes: every file holds em dashes, so
    # its characters are fewer)
    assert entry.detail["bytes"] == len(stored.encode("utf-8")) > len(stored)


@pytest.mark.commitment("C6.2")
def test_the_downloaded_file_has_the_shape_its_schema_documents(
    person, django_capture_on_commit_callbacks
):
    # given a person whose file was built at a known moment
    with freeze_time(T0):
        request = _ask_for_access(person.client, django_capture_on_commit_callbacks)
        link, _ = _link_on_page(person.client, request)

        # when they download it
        document = json.loads(person.client.get(link).content)

    # then it has the top level docs/access-file-schema.md describes: the schema, its version,
    # when it was built (UTC) and whose data it is
    assert document == {
        "schema": "https://lookout.example.com/schemas/access-file",
        "schema_version": 1,
        "generated_at": "2026-03-02T09:00:00+00:00",
        "subject": str(person.user.subject),
        "sections": document["sections"],
    }
    # and each section has its name, title, description and data, and nothing else
    assert document["sections"]
    for section in document["sections"]:
        assert set(section) == {"name", "title", "description", "data"}, section.get("name")
        assert section["name"] and section["title"]
    described = {s["name"]: s["description"] for s in document["sections"]}
    assert "Every product review you wrote" in described["reviews"]


@pytest.mark.commitment("C6.2")
def test_the_file_is_stored_as_compact_json_with_names_written_as_they_are(partners, policies):
    # given a customer whose order goes to a name written with letters beyond ASCII
    user, _ = _signed_in("zoe@example.com", name="Zoë Ångström-Núñez")
    request = _access_request(user)

    # when their file is built
    build_access_file(request_id=request.id)

    # then the sealed file, opened, holds the name as it is written (not as escapes)
    request.refresh_from_db()
    text = reveal(request, ["access_file"], purpose=Purpose.SUBJECT_REQUEST, actor=None)[
        "access_file"
    ]
    assert text is not None
    assert "Zoë Ångström-Núñez" in text and "\\u00" not in text
    # and it is one compact JSON text: no space after a comma or a colon between values
    document = json.loads(text)
    assert text == json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    orders = {s["name"]: s["data"] for s in document["sections"]}["orders"]
    assert orders[0]["delivery"]["name"] == "Zoë Ångström-Núñez"


@pytest.mark.commitment("C6.2")
def test_building_one_request_touches_no_other_and_refuses_a_request_of_another_kind(
    partners, policies
):
    # given two customers who both asked for their data, and a correction one of them asked
    ann, _ = _signed_in("ann@example.com")
    bob, _ = _signed_in("bob@example.com")
    anns = _access_request(ann)
    bobs = _access_request(bob)
    correction = open_request(
        subject=ann.subject,
        kind=Kind.CORRECTION,
        via=Via.ACCOUNT,
        actor=ann,
        details="My name is spelt wrong on my account.",
    )

    # when Bob's file is built
    build_access_file(request_id=bobs.id)

    # then Bob's request holds Bob's file, and Ann's is as it was
    bobs.refresh_from_db()
    assert bobs.status == Status.COMPLETED
    assert open_access_file(request=bobs, actor=bob)["subject"] == str(bob.subject)
    anns.refresh_from_db()
    assert anns.status == Status.IN_PROGRESS
    assert anns.access_file is None and anns.file_ready_at is None and anns.decided_at is None

    # and a correction request is no access request: no file is built for it
    with pytest.raises(SubjectRequest.DoesNotExist):
        build_access_file(request_id=correction.id)
    correction.refresh_from_db()
    assert correction.status == Status.RECEIVED
    assert correction.access_file is None and correction.decided_at is None
    assert not AuditEntry.objects.filter(
        action="privacy.access_file_built", target=f"privacy.SubjectRequest:{correction.id}"
    ).exists()


@pytest.mark.commitment("C6.2")
def test_each_persons_link_opens_their_own_file_while_others_have_files_too(
    partners, policies, django_capture_on_commit_callbacks
):
    # given two customers who each asked for their data and got their file
    emails = ["ann@example.com", "bob@example.com"]
    people = [_signed_in(email) for email in emails]
    links = []
    for user, client in people:
        request = _ask_for_access(client, django_capture_on_commit_callbacks)
        assert request.subject == user.subject and request.status == Status.COMPLETED
        links.append(_link_on_page(client, request)[0])

    # then each one's link gives them their own file
    for email, (user, client), link in zip(emails, people, links, strict=True):
        response = client.get(link)
        assert response.status_code == 200
        document = json.loads(response.content)
        assert document["subject"] == str(user.subject)
        assert {s["name"]: s["data"] for s in document["sections"]}["account"]["email"] == email
    # and neither one's link gives anything to the other
    (_, ann_client), (_, bob_client) = people
    _assert_gone(ann_client.get(links[1]))
    _assert_gone(bob_client.get(links[0]))


@pytest.mark.commitment("C6.2")
def test_every_link_that_does_not_open_the_persons_own_file_gets_the_same_answer(
    person, django_capture_on_commit_callbacks
):
    # given a person with a file, their own link to it, and a correction they also asked for
    request = _ask_for_access(person.client, django_capture_on_commit_callbacks)
    link, _ = _link_on_page(person.client, request)
    correction = open_request(
        subject=person.user.subject,
        kind=Kind.CORRECTION,
        via=Via.ACCOUNT,
        actor=person.user,
        details="My name is spelt wrong on my account.",
    )
    mallory = Client()
    mallory.force_login(create_account(email="mallory@example.com", password=PASSWORD))

    # then each of these is refused with the same words, and nothing of the person's data
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    _assert_gone(person.client.get(link.replace(token, forged)))  # a changed signature
    _assert_gone(person.client.get(link.replace(token, "x" + token)))  # a changed id
    _assert_gone(Client().get(link))  # nobody signed in or verified
    _assert_gone(mallory.get(link))  # someone else
    _assert_gone(person.client.get(download_path(request=correction)))  # not an access request
    # a request whose file is not built yet
    waiting = _access_request(person.user)
    assert waiting.status == Status.IN_PROGRESS
    _assert_gone(person.client.get(download_path(request=waiting)))
    # a request no longer kept (removed when its retention ran out)
    gone = download_path(request=request)
    SubjectRequest.objects.filter(pk=request.pk).delete()
    _assert_gone(person.client.get(gone))


@pytest.mark.commitment("C6.2")
def test_a_request_without_a_file_opens_as_a_gone_link(partners, policies):
    # given an access request whose file is not built yet
    user, _ = _signed_in("ann@example.com")
    request = _access_request(user)

    # then opening its file is refused with the words of a gone link
    with pytest.raises(NotFound) as refused:
        open_access_file(request=request, actor=user)
    assert refused.value.message == LINK_GONE


@pytest.mark.commitment("C6.2")
def test_the_file_is_read_as_whoever_downloads_it(
    person, guest_order, sent_code, django_capture_on_commit_callbacks
):
    # given a signed-in person and a verified guest, each with a file
    request = _ask_for_access(person.client, django_capture_on_commit_callbacks)
    link, _ = _link_on_page(person.client, request)
    guest = Client()
    challenge, code = sent_code(
        guest, email=GUEST_EMAIL, number=guest_order.number, kind=Kind.ACCESS
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = guest.post("/privacy/guest/code/", {"challenge": challenge, "code": code})
    assert response.status_code == 302
    guests = SubjectRequest.objects.get(subject=guest_order.subject)
    guest_link, _ = _link_on_page(guest, guests)

    def reads_of_the_file(made: SubjectRequest) -> list[AuditEntry]:
        return list(
            AuditEntry.objects.filter(
                action="reveal", target=f"privacy.SubjectRequest:{made.id}"
            ).order_by("seq")
        )

    # when each downloads their file
    before = len(reads_of_the_file(request)), len(reads_of_the_file(guests))
    assert person.client.get(link).status_code == 200
    assert guest.get(guest_link).status_code == 200

    # then the person's read is on record as theirs, and the guest's as the store's (a guest
    # is no account: the store reads for them once their code is verified)
    [own] = reads_of_the_file(request)[before[0] :]
    assert own.actor_ref == str(person.user.subject) and own.detail["reader"] == "self"
    assert own.fields == ["privacy.SubjectRequest.access_file"]
    [guest_read] = reads_of_the_file(guests)[before[1] :]
    assert guest_read.actor_ref == "system" and guest_read.detail["reader"] == "system"
    assert guest_read.subject_ref == str(guest_order.subject)
