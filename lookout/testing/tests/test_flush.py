"""The quick flush after transactional tests leaves the databases exactly as Django's flush does.

It replaces Django's `TransactionTestCase._fixture_teardown` for the whole suite (root
conftest), so if it left a row behind, or emptied a table Django's flush would refill, every
transactional test after it would start from a different database than Django promises.
"""

from __future__ import annotations

import hashlib
import inspect

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connections
from django.test import TransactionTestCase

from lookout.accounts.services import create_account
from lookout.audit.testing import append_only_suspended
from lookout.orders.testing import make_product, place
from lookout.testing import flush

ALIASES = ("default", "keystore")

# Django's own `_fixture_teardown`, as read when the quick flush was written (Django 6.1): it
# flushes each non-mirror database with post_migrate unless `available_apps` or serialized
# rollback is in use. A Django upgrade that changes it must be read again before this passes.
DJANGO_TEARDOWN_SHA256 = "c274615fd69186e1b9616e9d0cc0144f5643ae4a820ea62194d7a333e3fe3da1"


def _counts() -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for alias in ALIASES:
        connection = connections[alias]
        tables = connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        with connection.cursor() as cursor:
            counts[alias] = {}
            for table in sorted(tables):
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
                counts[alias][table] = cursor.fetchone()[0]
    return counts


def _fill() -> None:
    """Rows in many tables of both databases: an account (its sealed data key in the key
    store), a product and a placed order, and the audit entries they write."""
    customer = create_account(email="flush.customer@example.com", password="flush-test-pass-1")
    place(make_product(stock=5), user=customer)


def _flush_with(method) -> None:
    for alias in ALIASES:
        connection = connections[alias]
        if connection.vendor == "sqlite":  # its triggers refuse DELETE on the audit table
            with append_only_suspended():
                method(alias)
        else:  # PostgreSQL: the quick flush must TRUNCATE it, behind the triggers' back
            method(alias)


def _quick(alias: str) -> None:
    assert flush.flush_quickly(connections[alias])


def _django(alias: str) -> None:
    call_command("flush", verbosity=0, interactive=False, database=alias, reset_sequences=False)


@pytest.mark.django_db(transaction=True)
def test_the_quick_flush_leaves_what_djangos_flush_leaves():
    # given rows in many tables of both databases
    _fill()
    filled = _counts()
    assert sum(1 for n in filled["default"].values() if n) > 5
    assert sum(filled["keystore"].values()) > 0

    # when they are flushed quickly, then filled again the same way and flushed by Django
    _flush_with(_quick)
    quick = _counts()
    _fill()
    _flush_with(_django)
    flush.remember_migrated_state()  # post_migrate made the content types again, new ids
    django = _counts()

    # then every table holds as many rows after one as after the other
    assert quick == django
    # and that is not trivially so: content types and permissions are there in both
    assert quick["default"][ContentType._meta.db_table] > 0
    assert quick["default"][Permission._meta.db_table] > 0


@pytest.mark.django_db(transaction=True)
def test_a_test_that_changed_the_content_types_gets_djangos_flush():
    # given a content type that post_migrate would not make
    ContentType.objects.create(app_label="flush_probe", model="gone")

    # when the quick flush is asked, it declines (Django's flush runs instead)
    assert not flush.flush_quickly(connections["default"])

    # and after Django's flush and post_migrate, the quick flush takes over again
    call_command("flush", verbosity=0, interactive=False, database="default")
    flush.remember_migrated_state()
    assert not ContentType.objects.filter(app_label="flush_probe").exists()
    assert flush.flush_quickly(connections["default"])


def test_the_suite_flushes_with_the_quick_flush_and_djangos_is_the_one_it_was_written_for():
    assert TransactionTestCase._fixture_teardown is flush.fixture_teardown  # type: ignore[attr-defined]
    source = inspect.getsource(flush._django_teardown)
    assert hashlib.sha256(source.encode()).hexdigest() == DJANGO_TEARDOWN_SHA256, (
        "Django's TransactionTestCase._fixture_teardown changed: read it again and check that "
        "lookout/testing/flush.py still does what it does, then update the digest"
    )
