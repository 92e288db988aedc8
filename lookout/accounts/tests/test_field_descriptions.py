"""Every field drawn by the shared field partial (`accounts/_field.html`) points to its help
text and its errors with `aria-describedby`, so a screen reader reads them with the field
(issue 22, item 6; WCAG 1.3.1, 3.3.1)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from lookout.accounts.services import create_account
from lookout.testing.staff import client_past_second_factor

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-1"


class _Fields(HTMLParser):
    """Each form control's `aria-describedby`, the text of each element with an id, and the
    ids of the help texts and error lists the partial draws."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.described: dict[str, list[str]] = {}  # control name -> ids it points to
        self.text: dict[str, str] = {}
        self.helps: list[str] = []
        self.errors: list[str] = []
        self.open: list[tuple[str, str]] = []  # (tag, id) of the elements being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag in {"input", "select", "textarea"} and found.get("type") != "hidden":
            self.described[found.get("name", "")] = found.get("aria-describedby", "").split()
        classes = found.get("class", "").split()
        if "help" in classes:
            self.helps.append(found.get("id", ""))
        if "field-errors" in classes:
            self.errors.append(found.get("id", ""))
        if found.get("id"):
            self.text.setdefault(found["id"], "")
        if tag not in {"input", "br", "img", "meta", "link"}:
            self.open.append((tag, found.get("id", "")))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self.open:
            if element_id:
                self.text[element_id] += data


def _fields(html: str) -> _Fields:
    parser = _Fields()
    parser.feed(html)
    return parser


def test_help_text_and_errors_are_tied_to_their_field_on_the_password_page() -> None:
    user = create_account(email="ann@example.com", password=PASSWORD)
    client = Client()
    client.force_login(user)

    page = _fields(client.get("/accounts/password/change/").content.decode())
    assert page.helps, "the new password's rules are shown as help text"
    assert all(page.helps), "every help text has an id"
    for help_id in page.helps:
        field = help_id.removeprefix("id_").removesuffix("_helptext")
        assert page.described[field] == [help_id]

    response = client.post(
        "/accounts/password/change/",
        {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    )
    page = _fields(response.content.decode())
    assert page.errors and all(page.errors)
    for error_id in page.errors:
        field = error_id.removeprefix("id_").removesuffix("_error")
        assert error_id in page.described[field], (field, page.described[field])
        assert page.text[error_id].strip()
    assert "Your old password was entered incorrectly" in page.text["id_old_password_error"]
    for pointed in (i for ids in page.described.values() for i in ids):
        assert pointed in page.text, f"{pointed} is pointed to but not on the page"


def test_a_field_with_help_and_an_error_points_to_both_on_the_publishing_page() -> None:
    admin = create_account(email="adm@example.com", password=PASSWORD, role="administrator")
    client = client_past_second_factor(admin)

    response = client.post(
        "/policies/manage/", {"document": "privacy", "text": "x", "effective_on": "31/12/2027"}
    )
    assert response.status_code == 400
    page = _fields(response.content.decode())
    assert page.described["effective_on"] == ["id_effective_on_helptext", "id_effective_on_error"]
    assert "Leave empty to take effect on posting." in page.text["id_effective_on_helptext"]
    assert "Enter the date as YYYY-MM-DD." in page.text["id_effective_on_error"]
    assert page.described["summary"] == ["id_summary_helptext"]
    assert "What changes, in plain words." in page.text["id_summary_helptext"]
