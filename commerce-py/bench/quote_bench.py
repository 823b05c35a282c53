"""quote() from Python, against the same call inside Rust and against pure-Python pricing.

Run from the repository root after installing the package (README, Python):

    python commerce-py/bench/quote_bench.py

It prices one cart shape (lines at different prices, a 10% order promotion, 20% tax per line,
flat shipping) at several sizes, side by side in one process, and prints the ratios. The
pure-Python pricer below does the same arithmetic with `decimal` (the allocation of the
discount by largest remainder, half-even rounding of tax per line), returns the same quote shape
and is checked to give the same totals to the cent: it is the code a team would otherwise write
by hand, without the engine's validation, explanations or other rules.
"""

from __future__ import annotations

import json
import timeit
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import commerce
from commerce import _native

CENT = Decimal("0.01")


def request(lines: int) -> dict[str, Any]:
    return {
        "currency": "USD",
        "now": "2026-11-22T09:00:00Z",
        "lines": [
            {
                "id": f"l{i}",
                "sku": f"SKU-{i}",
                "quantity": 1 + i % 4,
                "unit_price": f"{3 + i % 17}.{i % 100:02d}",
                "tax_category": "standard",
            }
            for i in range(lines)
        ],
        "tax_rates": [{"id": "vat", "rate": "0.20", "categories": ["standard"]}],
        "promotions": [
            {"id": "ten", "benefit": {"percentage_off": {"percent": "10", "target": "order"}}}
        ],
        "shipping": {"id": "post", "rate": {"flat": {"amount": "4.95"}}},
    }


def pure_python_quote(req: dict[str, Any]) -> dict[str, Any]:
    """The same pricing in plain Python with `decimal`, returning the same quote shape (per-line
    subtotal, discount, net, tax lines and totals; the promotion's allocations; the totals)."""
    lines = req["lines"]
    subtotals = [Decimal(l["unit_price"]) * l["quantity"] for l in lines]
    subtotal = sum(subtotals, Decimal(0))
    promotion = req["promotions"][0]
    percent = Decimal(promotion["benefit"]["percentage_off"]["percent"])
    discount = (subtotal * percent / 100).quantize(CENT, ROUND_HALF_EVEN)
    # Largest remainder on cents, ties to the earlier line.
    cents = int(discount / CENT)
    exact = [Decimal(cents) * s / subtotal for s in subtotals] if subtotal else []
    shares = [int(e) for e in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: cents - sum(shares)]:
        shares[i] += 1
    tax_rate = req["tax_rates"][0]
    rate = Decimal(tax_rate["rate"])
    quote_lines = []
    tax_total = Decimal("0.00")
    for line, line_subtotal, share in zip(lines, subtotals, shares):
        line_discount = share * CENT
        net = line_subtotal - line_discount
        tax = (net * rate).quantize(CENT, ROUND_HALF_EVEN)
        tax_total += tax
        quote_lines.append({
            "id": line["id"],
            "sku": line["sku"],
            "quantity": line["quantity"],
            "unit_price": Decimal(line["unit_price"]),
            "price_source": {"type": "base"},
            "subtotal": line_subtotal,
            "discounts": [{"promotion": promotion["id"], "amount": line_discount}],
            "discount_total": line_discount,
            "net_total": net,
            "tax_lines": [{"tax_rate": tax_rate["id"], "rate": rate, "amount": tax}],
            "tax_total": tax,
            "total": net + tax,
        })
    shipping = Decimal(req["shipping"]["rate"]["flat"]["amount"])
    return {
        "lines": quote_lines,
        "promotions": [{
            "status": "applied",
            "id": promotion["id"],
            "amount": discount,
            "allocations": [
                {"line": l["id"], "amount": share * CENT} for l, share in zip(lines, shares)
            ],
        }],
        "totals": {
            "subtotal": subtotal,
            "discount_total": discount,
            "shipping_total": shipping,
            "net_total": subtotal - discount + shipping,
            "tax_total": tax_total,
            "grand_total": subtotal - discount + tax_total + shipping,
        },
    }


def read_totals(quote: commerce.Quote) -> list[Decimal]:
    return [line.total for line in quote.lines] + [quote.totals.grand_total]


def per_call(fn: Any, seconds: float = 0.4) -> float:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    runs = max(1, int(seconds / max(timer.timeit(number) / number, 1e-9)))
    return min(timer.repeat(repeat=5, number=runs)) / runs


def main() -> None:
    print(f"{'lines':>6} {'rust':>10} {'quote()':>10} {'price()':>10} {'quote_json':>11}"
          f" {'pure py':>10} {'quote()/rust':>13} {'pure py/quote()':>16} {'pure py/price()':>16}")
    for lines in (1, 3, 10, 100, 1000):
        req = request(lines)
        text = json.dumps(req)
        ours, theirs = commerce.quote(req), pure_python_quote(req)
        assert theirs["totals"] == ours["totals"], lines
        assert [l["total"] for l in theirs["lines"]] == [l["total"] for l in ours["lines"]]
        iterations = max(10, 20000 // lines)
        rust = min(_native._bench_native_quote(text, iterations) for _ in range(5)) / iterations / 1e9
        from_python = per_call(lambda: commerce.quote(req))
        from_json = per_call(lambda: commerce.quote_json(text))
        # price() returns a Quote object; reading the grand total and every line total makes
        # the Python values a caller typically needs.
        typed = per_call(lambda: read_totals(commerce.price(req)))
        pure = per_call(lambda: pure_python_quote(req))
        print(f"{lines:>6} {rust * 1e6:>8.1f}us {from_python * 1e6:>8.1f}us {typed * 1e6:>8.1f}us"
              f" {from_json * 1e6:>9.1f}us {pure * 1e6:>8.1f}us"
              f" {from_python / rust:>12.2f}x {pure / from_python:>15.2f}x {pure / typed:>15.2f}x")


if __name__ == "__main__":
    main()
