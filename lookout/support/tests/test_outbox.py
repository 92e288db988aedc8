"""The development outbox (issue 23, item 6): in development, sent mail is kept in files and
shown on a page; everywhere else the page does not exist."""

from __future__ import annotations

import pytest
from django.core.mail import send_mail
from django.test import Client, override_settings

OUTBOX = {"default": {"BACKEND": "lookout.support.outbox.OutboxBackend"}}


@pytest.mark.django_db
def test_development_shows_sent_mail(tmp_path) -> None:
    with override_settings(MAILERS=OUTBOX, VAR_DIR=tmp_path, ENV="development", DEBUG=True):
        send_mail(
            subject="A new message waits for you at Lookout",
            message="Sign in to read it.",
            from_email=None,
            recipient_list=["dev.person@example.com"],
        )
        page = Client().get("/help/outbox/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "A new message waits for you at Lookout" in text
    assert "dev.person@example.com" in text and "Sign in to read it." in text
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("env,debug", [("production", False), ("test", False), ("test", True)])
def test_no_outbox_page_outside_development(tmp_path, env, debug) -> None:
    with override_settings(MAILERS=OUTBOX, VAR_DIR=tmp_path, ENV=env, DEBUG=debug):
        send_mail(subject="s", message="m", from_email=None, recipient_list=["a@example.com"])
        assert Client().get("/help/outbox/").status_code == 404
