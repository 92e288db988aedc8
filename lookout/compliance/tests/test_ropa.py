"""The record of processing activities is built from the code and kept current (GDPR Art. 30)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from lookout.access.roles import Role
from lookout.core.purposes import Purpose
from lookout.privacy.inventory import inventory
from lookout.retention.registry import rules
from lookout.sharing import allowlist
from lookout.sharing.models import PartnerKind

ROPA_MD = Path(settings.BASE_DIR) / "docs" / "ropa.md"


def _record() -> dict:
    out = io.StringIO()
    call_command("ropa", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_docs_ropa_is_up_to_date():
    out = io.StringIO()
    call_command("ropa", stdout=out)

    assert ROPA_MD.read_text(encoding="utf-8") == out.getvalue(), (
        "regenerate it: LOOKOUT_ENV=test lookout ropa > docs/ropa.md"
    )


def test_the_json_has_every_element_of_article_30_1():
    record = _record()

    # (a) controller, (b) purposes, (c) data subjects and data, (d) recipients, (e) transfers,
    # (f) retention, (g) measures
    for element in (
        "controller",
        "purposes",
        "data_subjects",
        "data_categories",
        "recipients",
        "transfers",
        "retention",
        "measures",
    ):
        assert record[element], element
    assert set(record["controller"]) == {"name", "address", "contact"}


def test_every_purpose_partner_kind_retention_rule_and_role_is_in_the_record():
    record = _record()

    assert [p["purpose"] for p in record["purposes"]] == list(Purpose.values)
    assert [r["kind"] for r in record["recipients"]] == list(PartnerKind.values)
    assert {r["name"] for r in record["retention_rules"]} == {r.name for r in rules()}
    periods = {r["name"] for r in record["retention"]}
    assert {r.retention.name for r in rules()} <= periods
    access = next(m for m in record["measures"] if m["measure"].startswith("Access"))
    assert access["in_force"]["roles"] == list(Role.values)
    # and what each reader the matrix knows reads in full: every role, the store, the person
    in_full = access["in_force"]["fields_readable_in_full_by_reader"]
    assert set(in_full) == {*Role.values, "system", "self"}
    assert in_full["administrator"] == in_full["catalog_manager"] == 0


def test_every_personal_category_and_app_is_covered():
    record = _record()
    personal = [e for e in inventory() if e.personal]

    # every category of the inventory is recorded, and every app holding personal data is
    # assigned to data subjects
    assert {d["category"] for d in record["data_categories"]} == {e.category for e in personal}
    assert record["subjects_unmapped_apps"] == []
    held = {app for s in record["data_subjects"] for app in s["apps"]}
    assert held == {e.app for e in personal}


def test_recipients_carry_the_allowlist_and_a_carrier_never_gets_an_email():
    by_kind = {r["kind"]: r for r in _record()["recipients"]}

    for kind in PartnerKind:
        assert by_kind[kind.value]["data_categories"] == sorted(allowlist.CATEGORIES[kind])
    assert "user.contact.email" not in by_kind["carrier"]["data_categories"]


def test_measures_state_the_production_transport_settings_whatever_the_environment():
    # the test environment runs without HSTS; the record still states production's
    measures = {m["measure"]: m["in_force"] for m in _record()["measures"]}

    transit = measures["Encryption in transit (production settings)"]
    assert transit["SECURE_HSTS_SECONDS"] == 31536000
    assert transit["SESSION_COOKIE_SECURE"] is True
    assert measures["Sign-in protection"]["staff_second_factor"] is True
    assert measures["Sign-in protection"]["password_hashers"] == [
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    ]


@override_settings(
    LOOKOUT_OPERATOR_NAME="Example Shop Ltd",
    LOOKOUT_OPERATOR_ADDRESS="1 Harbour Road, Example Town",
    LOOKOUT_OPERATOR_CONTACT="privacy@shop.example",
)
def test_the_controller_is_the_configured_operating_entity():
    out = io.StringIO()
    call_command("ropa", stdout=out)

    assert "- Name: Example Shop Ltd" in out.getvalue()
    assert "- Address: 1 Harbour Road, Example Town" in out.getvalue()
    assert "- Contact: privacy@shop.example" in out.getvalue()
