import pytest

from lookout.catalog.models import Product


@pytest.mark.commitment("C1.2")
@pytest.mark.django_db
def test_product_api_gives_exact_decimal_strings_and_specs(client, demo_catalog):
    p = Product.objects.filter(category__slug="accessories")[0]
    data = client.get(f"/api/v1/products/{p.sku}").json()
    assert data["price"] == str(p.price) and data["list_price"] == str(p.list_price)
    assert data["currency"] == "USD"
    assert {s["name"] for s in data["specs"]} >= {"Resolution", "Power", "Works with"}
    assert len(data["works_with"]) == 4


@pytest.mark.django_db
def test_category_api_filters_sorts_and_pages(client, demo_catalog):
    r = client.get(
        "/api/v1/categories/outdoor-cameras/products",
        {"sort": "-price", "in_stock": "true", "max_price": "250"},
    )
    data = r.json()
    assert r.status_code == 200
    prices = [float(p["price"]) for p in data["products"]]  # only to compare order
    assert prices == sorted(prices, reverse=True)
    assert all(p["in_stock"] for p in data["products"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "min_price=-1",
        "max_price=abc",
        "resolution=720",
        "sort=random",
        "page=0",
        "min_price=100&max_price=5",
        "power=steam",
        "min_price=1.234",
    ],
)
def test_category_api_malformed_filters_get_422_with_detail(client, demo_catalog, query):
    r = client.get(f"/api/v1/categories/outdoor-cameras/products?{query}")
    assert r.status_code == 422
    assert r.json()["detail"]


@pytest.mark.django_db
def test_api_unknown_things_get_404_with_detail(client, demo_catalog):
    for url in ["/api/v1/products/NOPE", "/api/v1/categories/nope/products"]:
        r = client.get(url)
        assert r.status_code == 404
        assert r.json()["detail"]


@pytest.mark.django_db
def test_search_api_by_brand_spec_and_typo(client, demo_catalog):
    assert client.get("/api/v1/search", {"q": "Sentrix"}).json()["products"]
    assert client.get("/api/v1/search", {"q": "Zigbee"}).json()["products"]
    typo = client.get("/api/v1/search", {"q": "floodlite"}).json()
    assert typo["corrected"] == "floodlight" and typo["products"]
    assert client.get("/api/v1/search", {"q": ""}).status_code == 422
    assert client.get("/api/v1/search", {"q": "x" * 201}).status_code == 422


@pytest.mark.django_db
def test_openapi_document_lists_catalog_and_cart(client):
    doc = client.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    assert "/api/v1/products/{sku}" in paths
    assert "/api/v1/cart/{token}/items" in paths


@pytest.mark.django_db
def test_api_docs_load_nothing_from_another_origin(client):
    r = client.get("/api/v1/docs")
    body = r.content.decode()
    assert r.status_code == 200
    assert "cdn" not in body.lower()
    assert "/static/ninja/swagger-ui-bundle.js" in body
