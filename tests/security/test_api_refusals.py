"""The API refuses what it cannot take in its own documented shape (issue 19, findings 6 and 7).

A body over the upload limit (DATA_UPLOAD_MAX_MEMORY_SIZE) and input that breaks an operation's
schema used to leave the API's contract: the first was a 500 with a traceback in development and
an HTML page in production, the second a 422 with pydantic's error list that no operation
declared. Both now answer JSON with the Problem schema (`detail`, and `errors` per field), with a
status the OpenAPI document declares for that operation.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.commitment("C4.5")]


def _document() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations_with_a_body() -> list[tuple[str, str]]:
    """(method, path) of every operation that reads a JSON body, path parameters filled in
    (the body is read before any view looks the token or SKU up)."""
    found = []
    for path, operations in _document()["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                filled = path.replace("{token}", "no-such-cart").replace("{sku}", "NO-SUCH-SKU")
                found.append((method.upper(), filled))
    assert len(found) >= 3, "the document lost the operations that take a body"
    return found


def _is_problem(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert isinstance(body.get("detail"), str) and body["detail"].endswith("."), body
    assert isinstance(body.get("errors", {}), dict), body
    return body


@pytest.mark.parametrize("debug", [True, False], ids=["development", "production"])
@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_over_the_limit_answers_413_with_the_problem_schema(
    settings: Any, debug: bool, content_type: str
) -> None:
    # given the API in development (DEBUG, where the 500 showed a traceback) or production
    settings.DEBUG = debug
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = b'{"padding": "' + b"x" * limit + b'"}'
    for method, path in _operations_with_a_body():
        # when a body one limit long is sent to each operation that reads one
        response = Client().generic(method, path, body, content_type=content_type)
        # then it is refused with 413 and a JSON sentence saying so, never a page or a traceback
        assert response.status_code == 413, (method, path, response.status_code)
        problem = _is_problem(response)
        assert f"{limit // 1024} KB" in problem["detail"]
        assert "Traceback" not in response.content.decode()


def test_a_missing_or_invalid_body_answers_422_with_the_problem_schema() -> None:
    # given each operation that reads a body
    for method, path in _operations_with_a_body():
        # when it is sent without one
        missing = Client().generic(method, path)
        # then the answer is 422 with a sentence and the field at fault, not pydantic's list
        assert missing.status_code == 422, (method, path, missing.status_code)
        assert _is_problem(missing)["errors"] == {"body": ["A JSON body is required."]}

    # and a value of the wrong type is named by where the client put it, its value not echoed
    marker = "not-a-number-4711"
    wrong = Client().post(
        "/api/v1/cart/no-such-cart/items",
        {"sku": "CAM-1", "quantity": marker},
        content_type="application/json",
    )
    assert wrong.status_code == 422
    problem = _is_problem(wrong)
    assert list(problem["errors"]) == ["body.quantity"]
    assert marker not in wrong.content.decode()


def test_the_document_declares_these_refusals_on_the_operations_that_answer_them() -> None:
    # given the OpenAPI document
    document = _document()
    # then every operation declares 422 and 400 with a `detail` sentence, and each operation
    # that reads a body declares 413
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"400", "422"} | ({"413"} if "requestBody" in operation else set())
            for status in expected:
                assert status in responses, (method, path, status)
                schema = responses[status]["content"]["application/json"]["schema"]
                if "$ref" in schema:
                    schema = document["components"]["schemas"][schema["$ref"].split("/")[-1]]
                assert "detail" in schema["properties"], (method, path, status)
