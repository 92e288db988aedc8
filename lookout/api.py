"""The JSON API (Django Ninja): OpenAPI 3 at /api/v1/openapi.json, docs at /api/v1/docs.

Each domain app contributes a router from its own `api.py`.
"""

from ninja import NinjaAPI

api = NinjaAPI(title="Lookout API", version="1.0.0", urls_namespace="api")


def _mount_routers() -> None:
    from importlib import import_module

    for app in ("catalog", "cart"):
        try:
            module = import_module(f"lookout.{app}.api")
        except ModuleNotFoundError:
            continue
        api.add_router(f"/{app}" if app != "catalog" else "/", module.router)


_mount_routers()
