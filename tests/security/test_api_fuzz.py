"""Schemathesis fuzzes the whole OpenAPI document (C4.5): every operation of /api/v1/, with
generated valid and invalid input, answers without a server error and as the document says
(status codes, content types and body schemas).

The examples per operation are bounded so the run stays within CI's budget; `make security`
runs the same test. The app is called in-process through its WSGI handler, with real data in
the test database (the demo catalog), so paths hit existing products and carts as well as
missing ones.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.commitment("C4.5")]

MAX_EXAMPLES = 40  # per operation and mode: about 20 s for the whole document
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def schema(demo_catalog_for_fuzzing: None) -> Iterator[schemathesis.BaseSchema]:
    """The document, read from the app itself. While fuzzing, the end of a request must not
    close the test's database connection (the test transaction lives on it), exactly as
    Django's own test client arranges."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
        yield loaded
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def demo_catalog_for_fuzzing(db: None) -> None:
    from lookout.catalog import demo

    demo.load(progress=lambda message: None)


def _fuzz(
    operation,
    mode: schemathesis.GenerationMode,
    checks,
    *,
    cart: str | None = None,
    **fixed: dict[str, str],
) -> str | None:
    """Run the operation's strategy (with `fixed` parameters, e.g. a real cart token in the
    path, and `cart` as the body's cart token where the body names one); the first failure's
    report, or None."""

    def with_cart(case: schemathesis.Case) -> schemathesis.Case:
        if cart is not None and isinstance(case.body, dict) and "cart" in case.body:
            case.body["cart"] = cart
        return case

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, **fixed).map(with_cart))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=checks)

    try:
        run()
    except Unsatisfiable:
        return None  # the operation takes no input that can be made invalid (e.g. no parameters)
    except Exception as failure:  # a check failed: keep its report, go on with the rest
        return f"{operation.label} ({mode.value}):\n{str(failure)[:3000]}"
    return None


def test_every_api_operation_answers_valid_input_as_documented(schema):
    # given every operation of the OpenAPI document, when fed generated valid input
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8, "the OpenAPI document lost operations"
    failures = [
        f
        for op in operations
        if (f := _fuzz(op, schemathesis.GenerationMode.POSITIVE, CONFORMANCE)) is not None
    ]
    # then none answered with a server error or outside what the document says
    assert not failures, "\n\n".join(failures)


def test_every_api_operation_refuses_invalid_input_without_a_server_error(schema):
    # given every operation, when fed input that breaks its schema
    operations = [result.ok() for result in schema.get_all_operations()]
    failures = [
        f
        for op in operations
        if (
            f := _fuzz(
                op,
                schemathesis.GenerationMode.NEGATIVE,
                [not_a_server_error, content_type_conformance],
            )
        )
        is not None
    ]
    # then each is refused with a 4xx, never a 5xx
    assert not failures, "\n\n".join(failures)


def test_operations_on_a_real_cart_answer_as_documented(schema):
    # given a real cart holding a real product, and the operations that take a cart token
    from lookout.cart.services import add_to_cart, open_cart
    from lookout.catalog.models import Product

    cart, token = open_cart()
    product = Product.objects.order_by("sku").first()
    assert product is not None
    add_to_cart(cart=cart, sku=product.sku, quantity=1)
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if "{token}" in op.path or op.path.endswith("/checkout/orders")
    ]
    assert operations, "no cart operation in the OpenAPI document"
    # when each is fed generated input on that cart (and the product's own SKU where asked)
    failures: list[str | None] = []
    for op in operations:
        if "{token}" not in op.path:  # checkout: the token travels in the body
            failures.append(
                _fuzz(op, schemathesis.GenerationMode.POSITIVE, CONFORMANCE, cart=token)
            )
            continue
        fixed = {"token": token} | ({"sku": product.sku} if "{sku}" in op.path else {})
        for chosen in (fixed, {"token": token}):
            failures.append(
                _fuzz(op, schemathesis.GenerationMode.POSITIVE, CONFORMANCE, path_parameters=chosen)
            )
    failures = [f for f in failures if f]
    # then no answer was a server error or outside the document
    assert not failures, "\n\n".join(failures)
