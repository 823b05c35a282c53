"""The store flow on a SQLite file and on PostgreSQL: catalog, stock, carts, checkout with the
test gateway, orders, payment intents, captures, refunds, returns and cancellation."""

from __future__ import annotations

from decimal import Decimal

import pytest

import commerce
from commerce import Money

from conftest import stock_shop


GUEST = {
    "email": "guest@example.com",
    "shipping_address": {"name": "Grace Hopper", "line1": "1 Main St", "city": "Springfield",
                         "region": "CA", "postal_code": "94016", "country": "US"},
}
"""Who a guest's test order goes to."""


def bought(shop: commerce.Commerce, quantity: int = 2, *, key: str | None = None,
           capture_method: str = "automatic", payment_method: str = "tok_visa") -> dict:
    cart = shop.create_cart("USD")
    shop.add_to_cart(cart["id"], "MUG", quantity)
    shop.apply_coupon(cart["id"], "five")
    shop.set_shipping(cart["id"], {"country": "US"}, "post")
    return shop.checkout(cart["id"], payment_method, capture_method=capture_method,
                         idempotency_key=key, **GUEST)


def test_a_whole_purchase(shop: commerce.Commerce) -> None:
    cart = shop.create_cart("USD")
    cart = shop.add_to_cart(cart["id"], "MUG", 2)
    line_id = cart["cart"]["lines"][0]["id"]
    cart = shop.set_cart_quantity(cart["id"], line_id, 3)
    shop.apply_coupon(cart["id"], "FIVE")
    shop.set_shipping(cart["id"], {"country": "US"}, "post")
    quote = shop.quote_cart(cart["id"])
    # 30.00 - 5.00 = 25.00, VAT 20% = 5.00, shipping 5.00
    assert quote["totals"]["grand_total"] == Decimal("35.00")
    assert commerce.quote(shop.pricing_request(cart["id"])) == quote

    # An order nobody could ship or write to is refused before anything is held.
    with pytest.raises(commerce.ValidationError) as missing:
        shop.checkout(cart["id"], "tok_visa", email="guest@example.com")
    assert missing.value.field == "shipping_address"
    with pytest.raises(commerce.ValidationError) as unreadable:
        shop.checkout(cart["id"], "tok_visa", email="guest@example.com",
                      shipping_address={"city": "Springfield"})
    assert unreadable.value.field == "shipping_address.name"
    assert shop.stock("MUG")[0]["reserved"] == 0

    done = shop.checkout(cart["id"], "tok_visa", idempotency_key="buy-1", **GUEST)
    assert done["order"]["email"] == "guest@example.com"
    assert done["order"]["billing_address"] == done["order"]["shipping_address"]
    order, intent = done["order"], done["payment_intent"]
    assert order["status"] == "confirmed" and order["payment_status"] == "paid"
    assert order["quote"]["totals"] == quote["totals"]
    assert intent["amount"] == {"amount": Decimal("35.00"), "currency": "USD"}
    assert intent["status"] == "succeeded"
    assert shop.order(order["id"]) == order
    assert shop.payment_intent(intent["id"]) == intent
    level = shop.stock("MUG")[0]
    assert (level["on_hand"], level["reserved"]) == (7, 0)

    # The same key replays the first result and buys nothing more.
    again = shop.checkout(cart["id"], "tok_visa", idempotency_key="buy-1", **GUEST)
    assert again["order"]["id"] == order["id"]
    assert shop.stock("MUG")[0]["on_hand"] == 7

    refunded = shop.refund(order["id"], Money("10.00", "USD"), idempotency_key="r-1")
    assert refunded["payment_intent"]["amount_refunded"]["amount"] == Decimal("10.00")
    assert shop.refund(order["id"], Money("10.00", "USD"), idempotency_key="r-1") == refunded
    with pytest.raises(commerce.AmountExceeded):
        shop.refund(order["id"], Money("25.01", "USD"))
    with pytest.raises(commerce.IdempotencyConflict) as misuse:
        shop.refund(order["id"], Money("1.00", "USD"), idempotency_key="r-1")
    assert misuse.value.code == "idempotency_mismatch"

    fulfilled = shop.fulfil(order["id"], order["lines"][0]["id"], 3)
    assert fulfilled["fulfillment_status"] == "fulfilled"
    shop.advance_fulfillment(order["id"], "shipped")
    delivered = shop.advance_fulfillment(order["id"], "delivered")
    assert delivered["status"] == "completed"
    returned = shop.return_units(order["id"], order["lines"][0]["id"], 1)
    # One of three units: a third of the line's 30.00 - 5.00 + 5.00 VAT = 10.00.
    assert returned["payment_intent"]["amount_refunded"]["amount"] == Decimal("20.00")
    assert shop.stock("MUG")[0]["on_hand"] == 8


def test_a_payment_the_gateway_missed(shop: commerce.Commerce) -> None:
    cart = shop.create_cart("USD")
    shop.add_to_cart(cart["id"], "MUG", 1)
    with pytest.raises(commerce.BackendError):
        shop.checkout(cart["id"], "tok_gateway_down", idempotency_key="stuck", **GUEST)
    placed = shop.checkout_of_cart(cart["id"])
    assert placed["order"]["status"] == "pending_payment"
    assert placed["payment_intent"]["status"] == "requires_confirmation"
    assert shop.stock("MUG")[0]["reserved"] == 1, "the hold stays"

    intent = placed["payment_intent"]["id"]
    done = shop.confirm_payment(intent, "tok_visa", idempotency_key="confirm-1")
    assert done["order"]["status"] == "confirmed"
    assert done["payment_intent"]["payment_method"] == "tok_visa"
    assert shop.confirm_payment(intent, "tok_visa", idempotency_key="confirm-1") == done
    with pytest.raises(commerce.InvalidTransition):
        shop.confirm_payment(intent)
    level = shop.stock("MUG")[0]
    assert (level["on_hand"], level["reserved"]) == (9, 0)


def test_a_shop_without_a_gateway_refuses_payments_and_keeps_the_order(tmp_path) -> None:
    shop = stock_shop(commerce.connect(f"sqlite://{tmp_path / 'shop.db'}"), 3)
    cart = shop.create_cart("USD")
    shop.add_to_cart(cart["id"], "MUG", 1)
    with pytest.raises(commerce.GatewayError) as refused:
        shop.checkout(cart["id"], "tok_visa", **GUEST)
    assert refused.value.code == "payments_not_configured"
    assert shop.checkout_of_cart(cart["id"])["order"]["status"] == "pending_payment"
    with pytest.raises(commerce.ValidationError) as unknown:
        commerce.connect("sqlite::memory:", gateway="paypal")
    assert unknown.value.field == "gateway"


def test_a_retried_delivery_is_counted_once(shop: commerce.Commerce) -> None:
    first = shop.adjust_stock("MUG", 5, idempotency_key="delivery-7")
    again = shop.adjust_stock("MUG", 5, idempotency_key="delivery-7")
    assert first["on_hand"] == again["on_hand"] == 15
    with pytest.raises(commerce.IdempotencyConflict):
        shop.adjust_stock("MUG", 6, idempotency_key="delivery-7")


def test_manual_capture_and_cancel(shop: commerce.Commerce) -> None:
    done = bought(shop, 1, capture_method="manual")
    order = done["order"]
    assert done["payment_intent"]["status"] == "requires_capture"
    captured = shop.capture(order["id"], Money("5.00", "USD"), final_capture=False)
    assert captured["payment_intent"]["amount_received"]["amount"] == Decimal("5.00")
    with pytest.raises(commerce.InvalidTransition):
        shop.advance_fulfillment(order["id"], "delivered")  # nothing was shipped
    with pytest.raises(commerce.ValidationError) as bad_name:
        shop.advance_fulfillment(order["id"], "teleported")
    assert bad_name.value.field == "to"
    cancelled = shop.cancel_order(order["id"])
    assert cancelled["order"]["status"] == "cancelled"
    assert cancelled["payment_intent"]["amount_refunded"]["amount"] == Decimal("5.00")
    assert shop.stock("MUG")[0]["on_hand"] == 10
    with pytest.raises(commerce.InvalidTransition):
        shop.cancel_order(order["id"])


def test_declined_payment_releases_the_stock(shop: commerce.Commerce) -> None:
    with pytest.raises(commerce.PaymentDeclined) as declined:
        bought(shop, 3, payment_method="tok_decline")
    assert declined.value.code == "payment_declined"
    level = shop.stock("MUG")[0]
    assert (level["on_hand"], level["reserved"]) == (10, 0)


def test_stock_is_never_oversold(shop: commerce.Commerce) -> None:
    bought(shop, 8)
    with pytest.raises(commerce.InsufficientStock):
        bought(shop, 3)
    assert shop.stock("MUG")[0]["on_hand"] == 2
    with pytest.raises(commerce.InsufficientStock):
        shop.adjust_stock("MUG", -3)


def test_catalog(shop: commerce.Commerce) -> None:
    page = shop.products(limit=10)
    assert [p["id"] for p in page["items"]] == ["mug"]
    assert page["next_cursor"] is None
    assert shop.product("mug")["variants"][0]["sku"] == "MUG"
    archived = shop.archive_product("mug")
    assert archived["status"] == "archived"
    cart = shop.create_cart("USD")
    with pytest.raises(commerce.ValidationError) as raised:
        shop.add_to_cart(cart["id"], "MUG", 1)
    assert raised.value.code == "unknown_sku"
    with pytest.raises(commerce.NotFound):
        shop.product("nope")
    stale = shop.config()
    stale["version"] -= 1
    with pytest.raises(commerce.Conflict):
        shop.put_config(stale)


def test_a_customer_cart_and_orders(shop: commerce.Commerce) -> None:
    ada = shop.put_customer({"id": "c1", "email": "ada@example.com", "name": "Ada"})
    assert ada["version"] == 1
    # Compare-and-set: a write from a stale read is refused.
    renamed = shop.put_customer({**ada, "name": "Ada L."})
    assert renamed["version"] == 2
    with pytest.raises(commerce.Conflict):
        shop.put_customer({**ada, "name": "Ada K."})
    cart = shop.create_cart("USD", "c1")
    shop.add_to_cart(cart["id"], "MUG", 1)
    # A customer's order is written to their own e-mail address unless told otherwise.
    order = shop.checkout(cart["id"], "tok_visa",
                          shipping_address=GUEST["shipping_address"])["order"]
    assert order["customer_id"] == "c1"
    assert order["email"] == "ada@example.com"
    assert order["shipping_address"]["city"] == "Springfield"
    assert [o["id"] for o in shop.orders_for_customer("c1")["items"]] == [order["id"]]


def test_a_limited_coupon_discounts_only_as_many_orders_as_allowed(shop: commerce.Commerce) -> None:
    config = shop.config()
    config["promotion_limits"] = [{"promotion_id": "five-off", "total": 2}]
    shop.put_config(config)
    orders = [bought(shop, 1)["order"] for _ in range(3)]
    discounts = [o["quote"]["totals"]["discount_total"] for o in orders]
    assert discounts == [Decimal("5.00"), Decimal("5.00"), Decimal("0.00")]
    # A cancelled order gives its use back.
    shop.cancel_order(orders[0]["id"])
    assert bought(shop, 1)["order"]["quote"]["totals"]["discount_total"] == Decimal("5.00")
    config = shop.config()
    config["promotion_limits"] = [{"promotion_id": "no-such", "total": 1}]
    with pytest.raises(commerce.ValidationError):
        shop.put_config(config)
