"""Cart: the same helpers as the browser module, pricing through the same engine."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

import commerce
from commerce import Cart

TEE: dict[str, Any] = {
    "sku": "TEE",
    "product_id": "tee",
    "category_ids": ["apparel"],
    "unit_price": {"amount": "20.00", "currency": "USD"},
    "tiers": [],
    "tax_category": "standard",
}
CONTEXT: dict[str, Any] = {
    "now": "2026-11-22T09:00:00Z",
    "tax_rates": [{"id": "vat", "rate": "0.20", "categories": ["standard"]}],
    "promotions": [
        {
            "id": "ten",
            "benefit": {"percentage_off": {"percent": "10", "target": "order"}},
            "coupon_codes": ["TEN"],
        }
    ],
    "shipping_methods": [{"id": "post", "rate": {"flat": {"amount": "4.00"}}}],
}


def test_lines_merge_and_price() -> None:
    cart = Cart("USD")
    line = cart.add_item(TEE, 1, {"size": "M"})
    assert cart.add_item(TEE, 2, {"size": "M"}) == line
    other = cart.add_item(TEE, 1, {"size": "L"})
    assert other != line
    cart.remove_line(other)
    cart.apply_coupon("ten")
    cart.set_shipping_method("post")
    assert cart.coupon_codes == ["TEN"]
    assert cart.shipping_method == "post"
    assert [(l["quantity"], l["options"]) for l in cart.lines] == [(3, {"size": "M"})]
    quote = cart.quote([TEE], CONTEXT)
    # 60.00 - 10% = 54.00, VAT 20% = 10.80, shipping 4.00 (untaxed)
    assert quote["totals"]["grand_total"] == Decimal("68.80")
    request = cart.pricing_request([TEE], CONTEXT)
    assert commerce.quote(request) == quote


def test_cart_round_trips_through_a_dict() -> None:
    cart = Cart("USD")
    cart.add_item(TEE, 2)
    copy = Cart.from_dict(cart.to_dict())
    assert copy.to_dict() == cart.to_dict()
    assert copy.currency == "USD"


def test_cart_errors() -> None:
    cart = Cart("USD")
    with pytest.raises(commerce.ValidationError) as raised:
        cart.add_item(TEE, 0)
    assert raised.value.code == "quantity_out_of_range"
    with pytest.raises(commerce.NotFound) as not_found:
        cart.set_quantity("nope", 1)
    assert not_found.value.code == "line_not_found"
    with pytest.raises(commerce.CurrencyMismatch):
        cart.add_item({**TEE, "unit_price": {"amount": "20.00", "currency": "EUR"}}, 1)
    with pytest.raises(commerce.ValidationError) as unknown:
        Cart("ABC")
    assert unknown.value.code == "unknown_currency"
    with pytest.raises(commerce.ValidationError) as malformed:
        cart.add_item({"sku": "TEE"}, 1)
    assert malformed.value.code == "invalid_request"
    cart.add_item(TEE, 1)
    with pytest.raises(commerce.ValidationError) as missing:
        cart.quote([], CONTEXT)
    assert missing.value.code == "unknown_sku"


def test_one_cart_is_safe_to_share_between_threads() -> None:
    cart = Cart("USD")
    line = cart.add_item(TEE, 1)

    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(200):
                cart.add_item(TEE, 1)
                cart.quote([TEE], CONTEXT)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cart.lines[0]["id"] == line
    assert cart.lines[0]["quantity"] == 1 + 8 * 200
