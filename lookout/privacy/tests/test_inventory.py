"""The data inventory covers every stored field, and its checks catch what they must (C2.1)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import call_command
from django.db import connections, models
from django.test.utils import isolate_apps

from lookout.core.inventory import SESSION_RETENTION, NotPersonal, Personal, personal
from lookout.core.purposes import Purpose
from lookout.privacy.inventory import (
    ALL_COLUMNS,
    RawTable,
    collect,
    invalid_categories,
    inventory,
    raw_tables,
    stale,
    stored_models,
    undeclared,
    unknown_columns,
)
from lookout.vault.fields import EncryptedField

DATA_INVENTORY_MD = Path(settings.BASE_DIR) / "docs" / "data-inventory.md"


@pytest.mark.commitment("C2.1")
def test_every_stored_field_of_every_model_is_declared():
    # given every installed model, Django's and third-party ones and link tables included
    # when the inventory looks for fields without a declaration
    missing = undeclared()

    # then there are none
    assert missing == [], "declare these in the app's personal_data.py: " + ", ".join(missing)


@pytest.mark.commitment("C2.1")
def test_no_declaration_names_a_field_that_does_not_exist():
    assert stale() == []


@pytest.mark.commitment("C2.1")
def test_every_category_is_in_fideslangs_default_taxonomy():
    assert invalid_categories() == []


@pytest.mark.commitment("C2.1")
def test_a_deliberately_undeclared_field_is_caught():
    # given a throwaway model, in a registry of its own, with one declared and one undeclared field
    with isolate_apps("lookout.compliance") as registry:

        class Throwaway(models.Model):  # noqa: DJ008
            nickname = models.CharField(max_length=20)

            class Meta:
                app_label = "compliance"

        declared = {Throwaway: {"id": NotPersonal("row number")}}

        # when the inventory checks that registry
        missing = undeclared(registry=registry, declarations=declared)
        nothing_declared = undeclared(registry=registry)

    # then the undeclared field is named, and nothing leaked into the project's registry
    assert missing == ["compliance.Throwaway.nickname"]
    assert nothing_declared == ["compliance.Throwaway.id", "compliance.Throwaway.nickname"]
    assert Throwaway not in django_apps.get_models(include_auto_created=True)
    assert "compliance.Throwaway.nickname" not in undeclared()


@pytest.mark.commitment("C2.1")
def test_a_declaration_of_a_field_that_is_gone_is_caught():
    with isolate_apps("lookout.compliance") as registry:

        class Renamed(models.Model):  # noqa: DJ008
            title = models.CharField(max_length=20)

            class Meta:
                app_label = "compliance"

        declared = {
            Renamed: {
                "id": NotPersonal("row number"),
                "title": NotPersonal("a title"),
                "old_title": NotPersonal("renamed since"),
            }
        }
        problems = stale(registry=registry, declarations=declared)

    assert problems == ["compliance.Renamed.old_title: no such stored field"]


@pytest.mark.commitment("C2.1")
def test_an_invalid_or_misclassed_category_is_caught():
    with isolate_apps("lookout.compliance"):

        class Contact(models.Model):  # noqa: DJ008
            nickname = models.CharField(max_length=20)
            note = models.CharField(max_length=20)
            phone = models.CharField(max_length=20)

            class Meta:
                app_label = "compliance"

        declared: dict[type, dict[str, Personal | NotPersonal]] = {
            Contact: {
                "id": NotPersonal("row number"),
                # not in the taxonomy (a typo of user.contact.email would be caught the same way)
                "nickname": personal(
                    "user.contact.nickname", Purpose.DELIVERY, retention=SESSION_RETENTION
                ),
                # personal data filed under a system category
                "note": personal(
                    "system.operations", Purpose.DELIVERY, retention=SESSION_RETENTION
                ),
                "phone": personal(
                    "user.contact.phone_number", Purpose.DELIVERY, retention=SESSION_RETENTION
                ),
            }
        }
        problems = invalid_categories(declared)

    assert problems == [
        "compliance.Contact.nickname: 'user.contact.nickname' is not a fideslang data category",
        "compliance.Contact.note: personal field with category 'system.operations'",
    ]


@pytest.mark.commitment("C2.1", "C4.2")
def test_fields_declared_as_ciphertext_are_encrypted_fields_and_vice_versa():
    # given every declaration and every model field
    declarations = collect()[0]
    mismatches = []
    for model in stored_models():
        for f in model._meta.local_concrete_fields:
            d = declarations.get(model, {}).get(f.name)
            says_ciphertext = isinstance(d, Personal) and d.stored_as.startswith("ciphertext")
            is_encrypted = isinstance(f, EncryptedField)
            if says_ciphertext != is_encrypted:
                mismatches.append(f"{model._meta.label}.{f.name}")

    # then the inventory's "stored as ciphertext" is what the field really does
    assert mismatches == []


def test_the_database_cache_table_is_in_the_inventory():
    # the cache table has no model; the inventory must still cover the one settings use
    cache = settings.CACHES["default"]
    if cache["BACKEND"].endswith("DatabaseCache"):
        assert cache["LOCATION"] in {t.table for t in raw_tables()}
    assert "lookout_cache" in {e.table for e in inventory()}


@pytest.mark.django_db
@pytest.mark.commitment("C2.1")
def test_every_table_and_column_in_the_databases_is_in_the_inventory():
    # given the migrated test databases (main and key store)
    # when their tables and columns are compared with the inventory
    # then every column of every table is listed
    unlisted = {alias: unknown_columns(using=alias) for alias in connections}

    assert unlisted == {alias: [] for alias in connections}, (
        "declare tables without a model as RAW_TABLES in the app's personal_data.py"
    )


@pytest.mark.commitment("C2.1")
def test_docs_data_inventory_is_up_to_date():
    out = io.StringIO()
    call_command("datamap", "--markdown", stdout=out)

    assert DATA_INVENTORY_MD.read_text(encoding="utf-8") == out.getvalue(), (
        "regenerate it: lookout datamap --markdown > docs/data-inventory.md"
    )


def test_datamap_json_lists_each_column_with_its_classification():
    out = io.StringIO()
    call_command("datamap", "--json", stdout=out)
    data = json.loads(out.getvalue())

    by_column = {(f["table"], f["column"]): f for f in data["fields"]}
    session_data = by_column[("django_session", "session_data")]
    assert session_data["personal"] is True
    assert session_data["category"] == "user.unique_id.pseudonymous"
    assert session_data["purposes"] == ["account_security"]
    assert by_column[("lookout_cache", "cache_key")]["personal"] is False
    assert by_column[("lookout_cache", "cache_key")]["why"]


def test_datamap_table_names_every_table():
    out = io.StringIO()
    call_command("datamap", stdout=out)

    assert {e.table for e in inventory()} <= set(out.getvalue().split())


@pytest.mark.django_db
@pytest.mark.commitment("C2.1")
def test_a_table_made_by_raw_sql_is_caught_until_declared(monkeypatch):
    # given a table that no model describes (as a migration's raw SQL could create)
    from lookout.privacy import personal_data

    before = set(unknown_columns())  # other apps' gaps are the test above's business
    with connections["default"].cursor() as cursor:
        cursor.execute("CREATE TABLE inventory_probe (id integer, note text)")

    # when the databases are compared with the inventory, then its columns are named
    assert set(unknown_columns()) - before == {"inventory_probe.id", "inventory_probe.note"}

    # and once declared as a raw table (here with "*" for every column), it is covered
    probe = RawTable(
        table="inventory_probe", owner="test", columns={ALL_COLUMNS: NotPersonal("a probe")}
    )
    monkeypatch.setattr(personal_data, "RAW_TABLES", [*personal_data.RAW_TABLES, probe])
    assert set(unknown_columns()) == before
