"""C2.2: personal data is collected only at sign-up, checkout and customer-service requests.

Reads every form class of every app (`lookout.<app>.forms`) and every JSON API input schema, and
checks that a field asking for contact details, an address or a phone exists only in the forms
of those three places. A new form elsewhere that asks for an email or an address fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest
from django import forms

import lookout

pytestmark = pytest.mark.database_independent

# Where the policy lets the store ask for personal data, and why.
ALLOWED = {
    "lookout.accounts.forms": "sign-up, sign-in and password reset (the account's email)",
    "lookout.checkout.forms": "checkout: the delivery address, phone and a guest's email",
    "lookout.privacy.forms": "customer-service requests: access, correction, deletion",
    "lookout.returns.forms": "customer-service requests: a return and its note",
}
PERSONAL = re.compile(r"email|phone|address|street|postal|name$|^name|city|birth|card|iban")


def _form_classes() -> list[tuple[str, type[forms.Form] | type[forms.ModelForm]]]:
    found: list[tuple[str, type[forms.Form] | type[forms.ModelForm]]] = []
    for module_info in pkgutil.iter_modules(lookout.__path__):
        try:
            module = importlib.import_module(f"lookout.{module_info.name}.forms")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            # every form of the store is declared (Form or ModelForm), so has base_fields
            if issubclass(cls, forms.Form | forms.ModelForm) and cls.__module__ == module.__name__:
                found.append((module.__name__, cls))
    return found


@pytest.mark.commitment("C2.2")
def test_only_sign_up_checkout_and_service_requests_ask_for_personal_data():
    # given every form of the store
    classes = _form_classes()
    assert len(classes) > 10, "the scan must see the store's forms"

    # when their fields are read
    asking = {
        f"{module}.{cls.__name__}.{name}"
        for module, cls in classes
        for name, field in cls.base_fields.items()
        if PERSONAL.search(name) or isinstance(field, forms.EmailField)
    }

    # then personal fields appear only in the allowed places
    outside = sorted(a for a in asking if a.rsplit(".", 2)[0] not in ALLOWED)
    assert outside == []
    # and the scan does see the ones that are allowed (it is not vacuous)
    assert "lookout.checkout.forms.DeliveryForm.street_address" in asking
    assert "lookout.accounts.forms.SignUpForm.email" in asking


def _property_names(node: object, components: dict[str, dict], seen: frozenset[str]) -> set[str]:
    """Every property name in a schema, following $refs (once each)."""
    names: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = ref.rsplit("/", 1)[-1]
            if target not in seen:
                names |= _property_names(components.get(target, {}), components, seen | {target})
        names |= set(node.get("properties", {}) if isinstance(node.get("properties"), dict) else ())
        for value in node.values():
            names |= _property_names(value, components, seen)
    elif isinstance(node, list):
        for value in node:
            names |= _property_names(value, components, seen)
    return names


@pytest.mark.commitment("C2.2")
def test_the_json_api_takes_personal_data_only_at_checkout():
    # given every operation of the JSON API and the fields its request body takes
    from lookout.api import api

    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    asking = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            names = _property_names(operation.get("requestBody", {}), components, frozenset())
            personal = sorted(n for n in names if PERSONAL.search(n))
            if personal:
                asking[f"{method.upper()} {path}"] = personal

    # then only checkout operations take personal fields, and the scan does see them there
    assert "email" in asking.get("POST /api/v1/checkout/orders", [])
    assert [op for op in asking if "/checkout/" not in op] == []
