"""Publishing from the back office (administrators with their second factor) and from the
`lookout policy` command, under the same rules (C8.3, C8.4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from freezegun import freeze_time

from lookout.accounts.models import User
from lookout.accounts.services import create_account
from lookout.policies.models import PolicyVersion
from lookout.policies.selectors import current_versions
from lookout.testing.staff import client_past_second_factor

from .conftest import NEW_PRIVACY

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_the_publishing_page_is_for_administrators_only(make_customer) -> None:
    anonymous = Client().get("/policies/manage/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    customer = Client()
    customer.force_login(make_customer("ann"))
    assert customer.get("/policies/manage/").status_code == 403
    user: User = create_account(email="wh@example.com", password="staff-pass-12", role="warehouse")
    warehouse = client_past_second_factor(user)
    response = warehouse.post("/policies/manage/", {"document": "privacy", "text": "# Hacked"})
    assert response.status_code == 403
    assert PolicyVersion.objects.count() == 3


@pytest.mark.django_db
def test_an_administrator_without_the_second_factor_is_sent_to_it() -> None:
    admin = create_account(email="adm@example.com", password="staff-pass-12", role="administrator")
    client = Client()
    client.force_login(admin)
    response = client.get("/policies/manage/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/")


@pytest.mark.commitment("C8.3")
@pytest.mark.django_db
def test_an_administrator_publishes_a_markdown_file(admin_client: Callable[[], Client]) -> None:
    upload = SimpleUploadedFile("privacy-v2.md", NEW_PRIVACY.encode(), "text/markdown")
    with freeze_time(NOW):
        client = admin_client()
        response = client.post(
            "/policies/manage/", {"document": "privacy", "file": upload, "summary": "IPs."}
        )
        assert response.status_code == 302
        assert current_versions()["privacy"].number == 2
        page = client.get("/policies/manage/")
    assert page.status_code == 200 and "Privacy Policy v2 is posted" in page.text


@pytest.mark.commitment("C8.4")
@pytest.mark.django_db
def test_the_form_refuses_a_material_change_with_short_notice(
    admin_client: Callable[[], Client],
) -> None:
    with freeze_time(NOW):
        client = admin_client()
        response = client.post(
            "/policies/manage/",
            {
                "document": "privacy",
                "text": NEW_PRIVACY,
                "summary": "Less.",
                "material": "on",
                "effective_on": "2027-03-15",
            },
        )
    assert response.status_code == 400
    assert "at least 30 days&#x27; notice" in response.text
    assert "choose 1 April 2027 or later" in response.text
    assert PolicyVersion.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"document": "cookies", "text": "x"},
        {"document": "privacy"},
        {"document": "privacy", "text": "x", "effective_on": "31/12/2027"},
    ],
)
def test_bad_form_input_is_a_400_and_changes_nothing(
    admin_client: Callable[[], Client], data: dict
) -> None:
    response = admin_client().post("/policies/manage/", data)
    assert response.status_code == 400
    assert PolicyVersion.objects.count() == 3


@pytest.mark.django_db
def test_a_file_that_is_not_text_is_refused(admin_client: Callable[[], Client]) -> None:
    upload = SimpleUploadedFile("policy.md", b"\xff\xfe\x00binary", "text/markdown")
    response = admin_client().post("/policies/manage/", {"document": "privacy", "file": upload})
    assert response.status_code == 400 and "not UTF-8 text" in response.text
    assert PolicyVersion.objects.count() == 3


@pytest.mark.commitment("C8.3")
@pytest.mark.django_db
def test_the_command_publishes_with_an_effective_date(tmp_path: Path, capsys) -> None:
    text = tmp_path / "shipping.md"
    text.write_text("# Shipping Policy\n\nFree, and faster.", encoding="utf-8")
    with freeze_time(NOW):
        call_command(
            "policy",
            "publish",
            "shipping",
            "--file",
            str(text),
            "--effective",
            "2027-03-05",
            "--summary",
            "Faster.",
        )
    v = PolicyVersion.objects.get(document="shipping", number=2)
    assert v.effective_at == datetime(2027, 3, 5, tzinfo=UTC) and v.summary == "Faster."
    assert "takes effect on 2027-03-05 00:00 UTC" in capsys.readouterr().out


@pytest.mark.commitment("C8.4")
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--material", "--summary", "x", "--effective", "2027-03-20"], "choose 1 April 2027"),
        (["--material", "--summary", "x"], "no effective date is too soon"),
        (["--effective", "tomorrow"], "write it as YYYY-MM-DD"),
    ],
)
def test_the_command_refuses_with_a_clear_message(
    tmp_path: Path, args: list[str], message: str
) -> None:
    text = tmp_path / "privacy.md"
    text.write_text(NEW_PRIVACY, encoding="utf-8")
    with freeze_time(NOW), pytest.raises(CommandError, match=message):
        call_command("policy", "publish", "privacy", "--file", str(text), *args)
    assert PolicyVersion.objects.count() == 3


@pytest.mark.django_db
def test_the_command_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        call_command("policy", "publish", "privacy", "--file", str(tmp_path / "nope.md"))


@pytest.mark.django_db
def test_the_command_lists_versions_and_resends_notices(
    tmp_path: Path, capsys, make_customer
) -> None:
    ann = make_customer("ann")
    text = tmp_path / "privacy.md"
    text.write_text(NEW_PRIVACY, encoding="utf-8")
    with freeze_time(NOW):
        call_command(
            "policy",
            "publish",
            "privacy",
            "--file",
            str(text),
            "--material",
            "--summary",
            "IPs.",
            "--effective",
            "2027-04-01",
        )
        call_command("policy", "notify", "privacy", "2")
        call_command("policy", "notify", "privacy", "2")
        call_command("policy", "list", "privacy")
    out = capsys.readouterr().out
    assert "1 new notice(s) sent" in out and "0 new notice(s) sent" in out
    assert "privacy   v2" in out and "material" in out
    from lookout.inbox.models import Message

    assert Message.objects.filter(subject=ann.subject).count() == 1
