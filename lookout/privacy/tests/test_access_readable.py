"""The readable access page (issue 22, item 1): each section of the file as a person reads it,
never as program output: tables and facts, dates and money in words, empty sections said."""

from __future__ import annotations

import re
import uuid

import pytest
from django.template.loader import render_to_string
from django.test import Client

from lookout.access.roles import Role
from lookout.core.purposes import Purpose
from lookout.privacy.models import Kind, SubjectRequest
from lookout.privacy.readable import EMPTY
from lookout.privacy.tests.conftest import GUEST_EMAIL, PASSWORD, RECIPIENT

pytestmark = pytest.mark.django_db

# What Python prints for its own values: none of it may reach a person.
PROGRAM_OUTPUT = ("[{", "{'", "[]", "None", "True", "False", "_usd", "+00:00")


def _page_of_a_completed_request(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="download"' in page, "the file is ready"
    return page


def _program_output_in(page: str) -> list[str]:
    body = page.split('id="your-data"', 1)[1]
    return [token for token in PROGRAM_OUTPUT if token in body]


def _section(page: str, name: str) -> str:
    return page.split(f'id="section-{name}"', 1)[1].split("</section>", 1)[0]


def test_a_customers_file_reads_as_tables_with_dates_money_and_words(
    person, django_capture_on_commit_callbacks
):
    # given a customer with a delivered order (paid, messages in the inbox, shared with the
    # carrier) whose email an after-sales agent read
    from lookout.access import reveal
    from lookout.accounts.services import create_account

    agent = create_account(email="agent@example.com", password=PASSWORD, role=Role.AFTER_SALES)
    reveal(person.user, ["email"], purpose=Purpose.AFTER_SALES, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        person.client.post("/privacy/requests/", {"kind": Kind.ACCESS, "password": PASSWORD})
    request = SubjectRequest.objects.get()

    # when they open their request's page
    page = _page_of_a_completed_request(person.client, f"/privacy/requests/{request.id}/")

    # then nothing on it is program output
    assert _program_output_in(page) == []

    # and the order is a card with its number, its total as money and its dates in words
    order = person.orders[0]
    orders = _section(page, "orders")
    assert f"Order {order.number}" in orders
    assert f"${order.total:,.2f}" in orders
    assert re.search(r"\d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2} UTC", orders)
    assert RECIPIENT in orders
    # its history names states in words, not codes
    assert "Delivered" in orders and ">delivered<" not in orders
    assert '<table class="data-table">' in orders  # its lines and history are tables

    # and the payment shows the card's last four digits in a table cell
    assert "4242" in _section(page, "payments")
    # and the staff access says who by role, what in words, which data and why
    accesses = _section(page, "staff_accesses")
    assert "After-sales" in accesses or "After sales" in accesses
    assert "Read personal data" in accesses and "email address" in accesses
    assert ">reveal<" not in accesses
    # and the partner it was shared with is named with the data's kinds and the purpose
    shared = _section(page, "disclosures")
    assert "postal address" in shared and "user.contact" not in shared
    # and the inbox's messages are listed
    assert "<td" in _section(page, "messages")
    # and empty sections say so in words
    assert EMPTY["addresses"] in _section(page, "addresses")
    assert EMPTY["reviews"] in _section(page, "reviews")
    # and each section is reachable from the contents list
    assert 'href="#section-staff_accesses"' in page


def test_a_guests_file_says_what_is_not_there(
    guest_order, sent_code, django_capture_on_commit_callbacks
):
    # given a guest who bought once and asked for their data with an emailed code
    guest = Client()
    challenge, code = sent_code(
        guest, email=GUEST_EMAIL, number=guest_order.number, kind=Kind.ACCESS
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = guest.post("/privacy/guest/code/", {"challenge": challenge, "code": code})

    # when they open their request's page
    page = _page_of_a_completed_request(guest, response["Location"])

    # then no section prints program output ("Saved addresses []" was reported)
    assert _program_output_in(page) == []
    # and what they do not have is said in sentences
    assert EMPTY["account"] in _section(page, "account")
    assert EMPTY["addresses"] in _section(page, "addresses")
    assert EMPTY["conversations"] in _section(page, "conversations")
    # and what they have is there
    assert RECIPIENT in _section(page, "orders")


def test_a_file_with_nothing_in_it_says_so_for_every_section():
    # given the file of someone the store holds nothing about
    from lookout.privacy.access_file import build_document

    document = build_document(subject=uuid.uuid4())

    # when it is shown
    html = render_to_string("privacy/_access_file.html", {"document": document})

    # then every section is there with its sentence, and nothing is program output
    for section in document["sections"]:
        part = html.split(f'id="section-{section["name"]}"', 1)[1].split("</section>", 1)[0]
        assert 'class="access-empty"' in part, section["name"]
        assert section["title"].replace("'", "&#x27;") in part
    assert [t for t in PROGRAM_OUTPUT if t in html] == []


def test_unknown_shapes_still_read_as_words():
    # a section this page has no words for: keys and codes read as words, nested records as
    # cards, empty lists as 'none', missing values as a dash
    from lookout.privacy.readable import readable_sections

    document = {
        "generated_at": "2026-03-01T12:00:00+00:00",
        "sections": [
            {
                "name": "future",
                "title": "Something new",
                "description": "",
                "data": [
                    {
                        "label": "A",
                        "refund_usd": "12.5",
                        "seen_at": None,
                        "tags": [],
                        "parts": [{"what": "order.note_added", "fields": ["address"]}],
                    }
                ],
            },
            {"name": "later", "title": "Later", "description": "", "data": []},
        ],
    }
    html = render_to_string("privacy/_access_file.html", {"document": document})
    [future, later] = readable_sections(document)
    assert later.empty and future.body is not None and future.body.kind == "cards"
    assert "$12.50" in html and "Refund" in html and "Seen" in html
    assert "Note added to an order" in html and "postal address" in html
    assert "1 March 2026, 12:00 UTC" in html
    assert [t for t in PROGRAM_OUTPUT if t in html] == []
