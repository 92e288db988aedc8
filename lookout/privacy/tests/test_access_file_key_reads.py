"""Building an access file is one unit of work for the vault: the person's data key is read
from the key store and unwrapped once for every section, then dropped (C6.2, C6.4)."""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from lookout.accounts.services import create_account
from lookout.orders.testing import RECIPIENT, place
from lookout.privacy.access_file import build_document
from lookout.vault.crypto import active_ring
from lookout.vault.routers import KEYSTORE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("partners", "policies")]


@pytest.mark.commitment("C6.2", "C6.4")
def test_the_key_store_is_read_once_for_the_whole_file():
    # given a customer with two orders: sealed delivery details and sealed inbox messages,
    # read by different sections of the file
    customer = create_account(email="ann@example.com", password="a long enough passphrase 1")
    place(user=customer)
    place(user=customer)
    # when the access file is built
    with CaptureQueriesContext(connections[KEYSTORE]) as queries:
        document = build_document(subject=customer.subject)
    # then the sections hold the opened values, and the key store was read once
    data = {s["name"]: s["data"] for s in document["sections"]}
    assert RECIPIENT in str(data) and "ann@example.com" in str(data)
    assert sum(1 for q in queries.captured_queries if q["sql"].lstrip().startswith("SELECT")) == 1
    # and no unwrapped key outlives the build
    assert active_ring() is None


def test_the_file_is_built_with_the_collector_paused_and_it_runs_again_after(monkeypatch):
    # given a section that notes whether the cyclic collector runs while the file is built
    import gc

    from lookout.privacy import sections

    seen: list[bool] = []
    sections.load_sections()
    probe = sections.Section("probe", "Probe", "", 999, lambda ctx: seen.append(gc.isenabled()))
    monkeypatch.setitem(sections._SECTIONS, "probe", probe)
    customer = create_account(email="ann@example.com", password="a long enough passphrase 1")
    place(user=customer)
    gc.enable()
    # when the access file is built
    build_document(subject=customer.subject)
    # then the collector was paused during the build (the document is a tree: nothing for it
    # to find, and a full walk of the process costs more than the file) and runs again after
    assert seen == [False]
    assert gc.isenabled()
