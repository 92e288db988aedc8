"""The JSON API (Django Ninja): OpenAPI 3 at /api/v1/openapi.json, docs at /api/v1/docs.

Each domain app contributes a router from its own `api.py`. Refusals raised by services
(`LookoutError`) become their 4xx status with a `detail` sentence, never a 500.

Every refusal the API itself makes has the same documented shape, the Problem schema: a `detail`
sentence and, where fields are at fault, `errors` (field -> messages). These three are declared
here on every operation that can answer them, so a client (or schemathesis) never meets a status
the document does not list:

- 400: a NUL character anywhere (lookout.core.middleware) or a body that is not JSON (Ninja);
- 413: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (256 KB), which Django refuses with
  RequestDataTooBig the moment the body is read; left to Django it is a 500 with a traceback in
  development and an HTML page in production;
- 422: a body, query or path parameter that breaks the operation's schema (Ninja's
  ValidationError, by default a 422 with pydantic's error list, which no operation declared).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.openapi.docs import DocsBase

from lookout.core.errors import LookoutError


class SelfHostedSwagger(DocsBase):
    """Swagger UI served from the site's own static files (ninja's), so the strict CSP holds:
    no CDN, no inline script (the settings travel as a JSON data block)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        import json

        swagger = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
        }
        return render(
            request, "api/swagger.html", {"api": api, "swagger_settings": json.dumps(swagger)}
        )


PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What is wrong, in one or two sentences"},
        "errors": {
            "type": "object",
            "description": "Messages per field at fault (e.g. body.quantity, query.page)",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail"],
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": PROBLEM_SCHEMA}}}


BAD_REQUEST = _problem(
    "Bad request: a NUL character in the address or a form field (refused by "
    "lookout.core.middleware.RejectNulMiddleware before any view runs), or a body that is not JSON."
)
TOO_LARGE = _problem(
    "The body is larger than the API accepts (DATA_UPLOAD_MAX_MEMORY_SIZE, 256 KB by default)."
)
INVALID = _problem(
    "The body, a query or a path parameter does not match this operation's schema; `errors` "
    "names each field at fault (a missing body is the field `body`)."
)


class LookoutAPI(NinjaAPI):
    """Declares, on every operation, the refusals this module and the middleware answer: 400
    (NUL character, unreadable body) and 422 (schema not met; an app's own bare-object 422 is
    given the Problem schema, which its `detail` body already fits), and 413 on each operation
    that reads a body."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation["responses"]
                responses.setdefault(400, BAD_REQUEST)
                declared = responses.get(422, {}).get("content", {}).get("application/json", {})
                if "properties" not in declared.get("schema", {}):
                    responses[422] = INVALID
                if "requestBody" in operation:
                    responses.setdefault(413, TOO_LARGE)
        return schema


api = LookoutAPI(
    title="Lookout API",
    version="1.0.0",
    urls_namespace="api",
    docs=SelfHostedSwagger(),
    description="Catalog, search and cart of the Lookout store. Amounts are USD decimal strings.",
)


@api.exception_handler(LookoutError)
def _refusal(request: HttpRequest, exc: LookoutError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """A body over the limit, refused as the document says (413, Problem) instead of Django's
    own answer to a SuspiciousOperation (a traceback in development, an HTML page otherwise)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return api.create_response(
        request,
        {
            "detail": f"The request body is larger than the {limit // 1024} KB this API accepts. "
            "Send a smaller body."
        },
        status=413,
    )


MAX_LISTED_ERRORS = 5


def _field(location: tuple[Any, ...] | list[Any]) -> str:
    """`body.quantity`, `query.page`, `path.token`: where the client put the value. Ninja puts
    the view's argument name after `body`; that name is ours, not the client's, so it goes."""
    parts = [str(part) for part in location]
    if len(parts) > 1 and parts[0] == "body":
        del parts[1]
    return ".".join(parts)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Input that breaks the schema: 422 with the Problem schema (declared on every operation)
    instead of Ninja's bare list of pydantic errors. The submitted values are never echoed (they
    can be personal data); only where and what is wrong."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        field = _field(error.get("loc", ()))
        message = (
            "A JSON body is required."
            if field == "body" and error.get("type") == "missing"
            else str(error.get("msg", "Invalid value."))
        )
        errors.setdefault(field, []).append(message)
    listed = [f"{field}: {' '.join(messages)}" for field, messages in errors.items()]
    more = len(listed) - MAX_LISTED_ERRORS
    detail = "The request does not match this operation's schema: " + "; ".join(
        listed[:MAX_LISTED_ERRORS]
    ).rstrip(".")
    detail += f" (and {more} more)." if more > 0 else "."
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


def _mount_routers() -> None:
    from importlib import import_module

    for app in ("catalog", "cart", "checkout"):
        try:
            module = import_module(f"lookout.{app}.api")
        except ModuleNotFoundError:
            continue
        api.add_router(f"/{app}" if app != "catalog" else "/", module.router)


_mount_routers()
