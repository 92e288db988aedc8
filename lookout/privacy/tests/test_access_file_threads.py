"""Outside a transaction on PostgreSQL, the access file's sections without sealed data are built
on a helper thread while this one reads and opens the sealed records: the file must be exactly
the one built on one thread (C6.2)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction

from lookout.accounts.services import create_account
from lookout.orders.demo import ensure_partners
from lookout.orders.testing import place
from lookout.policies.initial import ensure_initial_versions
from lookout.privacy import sections
from lookout.privacy.access_file import build_document

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("audit_triggers_suspended"),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite builds every section on one thread"
    ),
]


def _without_time(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "generated_at"}


@pytest.mark.commitment("C6.2")
def test_the_file_built_with_the_helper_thread_is_the_file_built_on_one_thread(monkeypatch):
    # given a customer with orders, and a plain section noting the thread it is built on
    ensure_partners()
    ensure_initial_versions()
    customer = create_account(email="ann@example.com", password="a long enough passphrase 1")
    place(user=customer)
    place(user=customer)
    threads: list[str] = []
    sections.load_sections()
    probe = sections.Section(
        "probe", "Probe", "", 999, lambda ctx: threads.append(threading.current_thread().name)
    )
    monkeypatch.setitem(sections._SECTIONS, "probe", probe)

    # when the file is built outside a transaction, then inside one
    aside = build_document(subject=customer.subject)
    with transaction.atomic():
        alone = build_document(subject=customer.subject)

    # then the plain sections were built on the helper thread the first time only
    assert threads[0].startswith("lookout-access-file") and threads[1] == "MainThread"
    # and both files are the same, orders, messages and policy acceptances included
    assert _without_time(aside) == _without_time(alone)
    data = {s["name"]: s["data"] for s in aside["sections"]}
    assert len(data["orders"]) == 2 and len(data["policy_acceptances"]) >= 2


@pytest.mark.commitment("C6.2")
def test_an_error_in_a_section_on_the_helper_thread_reaches_the_caller(monkeypatch):
    # given a plain section that fails
    customer = create_account(email="ann@example.com", password="a long enough passphrase 1")
    sections.load_sections()

    def broken(ctx: sections.SectionContext) -> None:
        raise RuntimeError("the section failed")

    monkeypatch.setitem(
        sections._SECTIONS, "broken", sections.Section("broken", "B", "", 5, broken)
    )
    # then building the file raises it, as it would on one thread
    with pytest.raises(RuntimeError, match="the section failed"):
        build_document(subject=customer.subject)
