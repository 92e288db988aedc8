"""Schemathesis fuzzes the whole OpenAPI document (C4.5): every operation of /api/v1/, with
generated valid and invalid input, answers without a server error and as the document says
(status codes, content types and body schemas).

The same checks an outside run uses (`st run ... --checks not_a_server_error,
status_code_conformance,response_schema_conformance`), over every phase that runs here offline:
examples (the document's own, where it has any), coverage (schemathesis's boundary cases: a
missing body, a value one past each limit, a wrong type), fuzzing (random valid and invalid
input) and stateful (sequences following the links schemathesis infers, e.g. open a cart, then
add to it). The examples per operation are bounded so the run stays within CI's budget (about
30 s); `make security` runs the same tests. The app is called in-process through its WSGI
handler, with real data in the test database (the demo catalog), so paths hit existing products
and carts as well as missing ones.
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
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.commitment("C4.5")]

MAX_EXAMPLES = 40  # per operation (fuzzing) or per scenario count (stateful)
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


# The document read from the app itself, once, when the module is collected (it needs no
# database); the operations' tests then run inside the test database, after `schema`.
document = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.mark.usefixtures("schema")
@document.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # explicit: the examples and coverage phases
    suppress_health_check=list(HealthCheck),
)
def test_every_api_operation_answers_as_documented(case: schemathesis.Case) -> None:
    # given each operation of the OpenAPI document, and its examples, its coverage cases (a
    # missing body, each limit and one past it) and generated valid and invalid input
    # when the request is sent, then the answer is no server error, and its status, content
    # type and body are the ones the document declares for that operation
    case.call_and_validate(checks=CONFORMANCE)


def test_sequences_of_api_calls_answer_as_documented(schema: schemathesis.BaseSchema) -> None:
    # given the state machine schemathesis builds from the links it infers between operations
    # (a cart opened, then read, filled and emptied through its token)
    class Calls(schema.as_state_machine()):  # type: ignore[misc]
        def validate_response(
            self, response: Response, case: schemathesis.Case, additional_checks=None, **kwargs
        ) -> None:
            case.validate_response(response, checks=CONFORMANCE)

    # when random sequences of calls run, then every answer in them is as documented
    Calls.run(
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )


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
    found = [f for f in failures if f]
    # then no answer was a server error or outside the document
    assert not found, "\n\n".join(found)
