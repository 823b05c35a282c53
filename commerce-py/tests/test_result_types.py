"""The TypedDicts of commerce.types describe what the store returns: every required key is
there and nothing is returned that they do not name, checked recursively on real results."""

from __future__ import annotations

import typing
from decimal import Decimal
from typing import Any

import pytest

import commerce
from commerce import Money, types

GUEST: dict[str, Any] = {
    "email": "guest@example.com",
    "shipping_address": {"name": "Grace Hopper", "line1": "1 Main St", "city": "Springfield",
                         "region": "CA", "postal_code": "94016", "country": "US"},
}


def conforms(value: Any, hint: Any, path: str = "$") -> list[str]:
    """Where `value` departs from the type `hint`: missing or unknown keys, wrong kinds."""
    origin = typing.get_origin(hint)
    if typing.is_typeddict(hint):
        if not isinstance(value, dict):
            return [f"{path}: not a dict"]
        hints = typing.get_type_hints(hint)
        problems = [f"{path}.{k}: missing" for k in hint.__required_keys__ if k not in value]
        problems += [f"{path}.{k}: not in {hint.__name__}" for k in value if k not in hints]
        for key, item in value.items():
            if key in hints:
                problems += conforms(item, hints[key], f"{path}.{key}")
        return problems
    if origin is list:
        (inner,) = typing.get_args(hint)
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        return [p for i, item in enumerate(value) for p in conforms(item, inner, f"{path}[{i}]")]
    if origin in (typing.Union, __import__("types").UnionType):
        options = typing.get_args(hint)
        if any(not conforms(value, option, path) for option in options):
            return []
        return [f"{path}: {value!r} is none of {options}"]
    if origin is dict:
        return [] if isinstance(value, dict) else [f"{path}: not a dict"]
    if origin is typing.Literal:
        return [] if value in typing.get_args(hint) else [f"{path}: {value!r} not allowed"]
    if hint is type(None):
        return [] if value is None else [f"{path}: not None"]
    if hint in (str, int, bool, Decimal):
        return [] if isinstance(value, hint) else [f"{path}: {value!r} is not {hint.__name__}"]
    return []


def test_store_results_match_their_types(shop: commerce.Commerce) -> None:
    cart = shop.create_cart("USD")
    assert conforms(cart, types.StoredCart) == []
    filled = shop.add_to_cart(cart["id"], "MUG", 2)
    assert conforms(filled, types.StoredCart) == []
    assert conforms(shop.set_shipping(cart["id"], {"country": "US"}, "post"), types.StoredCart) == []
    done = shop.checkout(cart["id"], "tok_visa", capture_method="manual", **GUEST)
    assert conforms(done, types.Checkout) == []
    order_id = done["order"]["id"]
    assert conforms(shop.order(order_id), types.Order) == []
    assert conforms(shop.payment_intent(done["payment_intent"]["id"]), types.PaymentIntent) == []
    assert conforms(shop.checkout_of_cart(cart["id"]), types.Checkout) == []
    captured = shop.capture(order_id)
    assert conforms(captured, types.Checkout) == []
    refunded = shop.refund(order_id, Money("1.00", "USD"))
    assert conforms(refunded, types.Checkout) == []
    line = done["order"]["lines"][0]
    assert conforms(shop.fulfil(order_id, line["id"], line["quantity"]), types.Order) == []
    with pytest.raises(commerce.ValidationError) as no_number:
        shop.ship(order_id, carrier="UPS")
    assert no_number.value.field == "shipment.tracking_number"
    shipped = shop.ship(order_id, carrier="UPS", tracking_number="1Z999AA10123456784")
    assert conforms(shipped, types.Order) == []
    assert shipped["shipment"] == {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}
    assert conforms(shop.advance_fulfillment(order_id, "delivered"), types.Order) == []

    other = shop.create_cart("USD", "c1")
    shop.put_customer({"id": "c1", "email": "ada@example.com", "name": "Ada"})
    shop.add_to_cart(other["id"], "MUG", 1)
    placed = shop.checkout(other["id"], "tok_visa", shipping_address=GUEST["shipping_address"])
    assert conforms(shop.cancel_order(placed["order"]["id"]), types.Checkout) == []
    page = shop.orders_for_customer("c1")
    assert conforms(page, types.OrderPage) == []
    assert page["items"][0]["cancellation_reason"] == "requested"


def test_search_finds_typos_and_filters(shop: commerce.Commerce) -> None:
    found = shop.search("mgus", "USD")
    assert found["total"] == 0, "four letters allow no typo"
    found = shop.search("mugs", "USD", max_price="100.00")
    assert conforms(found, types.SearchResults) == []
    assert [i["product"]["id"] for i in found["items"]] == ["mug"]
    assert found["items"][0]["matches"] == [{"word": "mugs", "kind": "stemmed", "field": "name"}]
    assert found["price_range"] is not None
    assert shop.search("mug", "USD", max_price=Decimal("0.50"))["total"] == 0
    offered = shop.suggest("mu", "USD")
    assert offered == [{"product_id": "mug", "name": "Mug"}]
    assert all(conforms(s, types.Suggestion) == [] for s in offered)
    with pytest.raises(commerce.ValidationError) as raised:
        shop.search("mug", "USD", min_price="1.001")
    assert raised.value.field == "min_price"


def test_the_gateway_health_matches_its_type(shop: commerce.Commerce) -> None:
    health = shop.gateway_health()
    assert conforms(health, types.GatewayHealth) == []
    assert health is not None and (health["gateway"], health["state"]) == ("test", "closed")
    assert commerce.connect("sqlite::memory:").gateway_health() is None, "no gateway"


def test_shipping_offers_match_their_type_and_the_quote(shop: commerce.Commerce) -> None:
    cart = shop.create_cart("USD")
    shop.add_to_cart(cart["id"], "MUG", 2)
    shop.set_shipping(cart["id"], {"country": "US"})
    offers = shop.shipping_offers(cart["id"])
    assert [offer["method"] for offer in offers] == ["post"]
    assert conforms(offers, list[types.ShippingOffer]) == []
    shop.set_shipping(cart["id"], {"country": "US"}, "post")
    assert offers[0]["grand_total"]["amount"] == shop.quote_cart(cart["id"])["totals"]["grand_total"]
