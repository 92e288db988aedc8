import pytest

from lookout.cart.models import CartLine
from lookout.catalog.tests import factories


@pytest.fixture
def cart(client):
    response = client.post("/api/v1/cart")
    assert response.status_code == 201
    return response.json()["token"]


@pytest.mark.commitment("C1.2", "C2.6")
@pytest.mark.django_db
def test_cart_api_add_change_remove_with_exact_totals(client, cart):
    a = factories.product(price="10.10", list_price="12.00")
    b = factories.product(price="0.05", list_price="0.05")
    r = client.post(
        f"/api/v1/cart/{cart}/items", {"sku": a.sku, "quantity": 3}, content_type="application/json"
    )
    assert r.status_code == 200
    r = client.post(f"/api/v1/cart/{cart}/items", {"sku": b.sku}, content_type="application/json")
    assert r.json()["total"] == "30.35"
    assert r.json()["shipping"] == "0.00" and r.json()["currency"] == "USD"
    r = client.put(
        f"/api/v1/cart/{cart}/items/{a.sku}", {"quantity": 1}, content_type="application/json"
    )
    assert r.json()["total"] == "10.15"
    r = client.delete(f"/api/v1/cart/{cart}/items/{b.sku}")
    assert [line["sku"] for line in r.json()["lines"]] == [a.sku]
    assert "Set-Cookie" not in r.headers


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [-1, 0, 100, 10**30, "lots", None])
def test_cart_api_refuses_bad_quantities_with_422(client, cart, quantity):
    p = factories.product()
    r = client.post(
        f"/api/v1/cart/{cart}/items",
        {"sku": p.sku, "quantity": quantity},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert r.json()["detail"]
    assert not CartLine.objects.exists()


@pytest.mark.django_db
def test_cart_api_unknowns_and_stock_give_clear_4xx(client, cart):
    p = factories.product(stock=1)
    unknown_cart = client.get("/api/v1/cart/" + "B" * 43)
    assert unknown_cart.status_code == 404
    assert "cart" in unknown_cart.json()["detail"]
    unknown_product = client.post(
        f"/api/v1/cart/{cart}/items", {"sku": "NOPE"}, content_type="application/json"
    )
    assert unknown_product.status_code == 404
    assert unknown_product.json()["detail"] == "That product does not exist."
    too_many = client.post(
        f"/api/v1/cart/{cart}/items", {"sku": p.sku, "quantity": 2}, content_type="application/json"
    )
    assert too_many.status_code == 409
    not_in_cart = client.put(
        f"/api/v1/cart/{cart}/items/{p.sku}", {"quantity": 1}, content_type="application/json"
    )
    assert not_in_cart.status_code == 404
    broken_json = client.post(
        f"/api/v1/cart/{cart}/items", "{not json", content_type="application/json"
    )
    assert 400 <= broken_json.status_code < 500
