"""Threads: the GIL is released while Rust works, and concurrent checkouts never oversell."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import commerce
from commerce import _native
from conftest import stock_shop


GUEST = {
    "email": "guest@example.com",
    "shipping_address": {"name": "Grace Hopper", "line1": "1 Main St", "city": "Springfield",
                         "region": "CA", "postal_code": "94016", "country": "US"},
}
"""Who a guest's test order goes to."""

BUYERS = 24
UNITS = 10


def test_concurrent_checkouts_never_oversell(database_url: str) -> None:
    shop = stock_shop(commerce.connect(database_url, gateway="test"), UNITS)
    carts = []
    for _ in range(BUYERS):
        cart = shop.create_cart("USD")
        shop.add_to_cart(cart["id"], "MUG", 1)
        carts.append(cart["id"])
    start = threading.Barrier(BUYERS)

    def buy(cart_id: str) -> str:
        start.wait()
        try:
            shop.checkout(cart_id, "tok_visa", idempotency_key=cart_id, **GUEST)
            return "bought"
        except commerce.InsufficientStock:
            return "sold out"

    with ThreadPoolExecutor(BUYERS) as pool:
        outcomes = list(pool.map(buy, carts))
    assert outcomes.count("bought") == UNITS
    assert outcomes.count("sold out") == BUYERS - UNITS
    level = shop.stock("MUG")[0]
    assert (level["on_hand"], level["reserved"]) == (0, 0)


def test_the_gil_is_released_while_rust_works() -> None:
    """Another Python thread runs in the middle of a long native call: had the call held the GIL,
    no Python code could run between its first and last few milliseconds."""
    request = json.dumps(request_of(200))
    margin = 0.02  # four switch intervals at each end
    iterations = 5000
    while True:
        ticks: list[float] = []
        stop = threading.Event()

        def count() -> None:
            while not stop.is_set():
                ticks.append(time.perf_counter())

        counter = threading.Thread(target=count)
        counter.start()
        try:
            started = time.perf_counter()
            _native._bench_native_quote(request, iterations)
            ended = time.perf_counter()
        finally:
            stop.set()
            counter.join()
        # Long enough to observe, however fast this machine prices: more work until it is.
        if ended - started > 10 * margin:
            break
        iterations *= 4
    inside = [t for t in ticks if started + margin < t < ended - margin]
    assert inside, "no Python thread ran while Rust worked"


def request_of(lines: int) -> dict:
    return {
        "currency": "USD",
        "now": "2026-11-22T09:00:00Z",
        "lines": [
            {"id": f"l{i}", "sku": f"S{i}", "quantity": 1, "unit_price": "1.00"}
            for i in range(lines)
        ],
    }
