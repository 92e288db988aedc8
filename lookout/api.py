"""The JSON API (Django Ninja): OpenAPI 3 at /api/v1/openapi.json, docs at /api/v1/docs.

Each domain app contributes a router from its own `api.py`. Refusals raised by services
(`LookoutError`) become their 4xx status with a `detail` sentence, never a 500.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase

from lookout.core.errors import LookoutError


class SelfHostedSwagger(DocsBase):
    """Swagger UI served from the site's own static files (ninja's), so the strict CSP holds:
    no CDN, no inline script (the settings travel as a JSON data block)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        import json

        settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
        }
        return render(
            request, "api/swagger.html", {"api": api, "swagger_settings": json.dumps(settings)}
        )


BAD_REQUEST = {
    "description": "Bad request, e.g. a NUL character in the address (refused by "
    "lookout.core.middleware.RejectNulMiddleware before any view runs).",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"detail": {"type": "string"}},
                "required": ["detail"],
            }
        }
    },
}


class LookoutAPI(NinjaAPI):
    """Declares, on every operation, the 400 that the NUL-refusing middleware can answer."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                operation["responses"].setdefault(400, BAD_REQUEST)
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


def _mount_routers() -> None:
    from importlib import import_module

    for app in ("catalog", "cart", "checkout"):
        try:
            module = import_module(f"lookout.{app}.api")
        except ModuleNotFoundError:
            continue
        api.add_router(f"/{app}" if app != "catalog" else "/", module.router)


_mount_routers()
