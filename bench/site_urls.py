"""The store's URLs plus `/bench/minimal`: the yardstick of the page benchmark.

The minimal view is what "a Django view that reads 24 products" costs under the same server,
middleware and database: one query, a small JSON body, no template.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from lookout.catalog.models import Product
from lookout.urls import handler400, handler404, handler500  # noqa: F401
from lookout.urls import urlpatterns as store_urls


def minimal(request: HttpRequest) -> JsonResponse:
    rows = list(Product.objects.order_by("pk").values_list("sku", "name", "price")[:24])
    return JsonResponse({"products": [[s, n, str(p)] for s, n, p in rows]})


urlpatterns = [path("bench/minimal", minimal), *store_urls]
