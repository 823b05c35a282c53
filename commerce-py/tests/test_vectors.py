"""Every shared pricing case (testdata/pricing), through the same matching rule as the Rust,
JavaScript and HTTP runners: Python prices every cart to the same minor unit."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import commerce
from conftest import CASES, load_case


def mismatches(expected: Any, actual: Any, path: str, out: list[str]) -> None:
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            out.append(f"{path}: expected an object, got {actual!r}")
            return
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{path}.{key}: missing")
            else:
                mismatches(value, actual[key], f"{path}.{key}", out)
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual)):
            mismatches(e, a, f"{path}[{i}]", out)
    elif expected != actual or type(expected) is not type(actual):
        out.append(f"{path}: expected {expected!r}, got {actual!r}")


def as_json(value: Any) -> Any:
    """A quote dict as its JSON form: every Decimal back to its exact decimal string."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


def contains_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(contains_float(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_float(v) for v in value)
    return False


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_quote_matches_case(path: Path) -> None:
    case = load_case(path)
    request = case["request"]
    if "expected_error" in case:
        if contains_float(request):
            # A float where money belongs: Python refuses it before the engine sees it.
            with pytest.raises(TypeError, match="never float"):
                commerce.quote(request)
            return
        with pytest.raises(commerce.CommerceError) as raised:
            commerce.quote(request)
        out: list[str] = []
        error = {"code": raised.value.code, "field": raised.value.field}
        mismatches(case["expected_error"], error, "error", out)
        assert out == []
        assert str(raised.value)
    else:
        quote = commerce.quote(request)
        out = []
        mismatches(case["expected"], as_json(quote), "quote", out)
        assert out == []


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_quote_json_matches_case(path: Path) -> None:
    """The raw JSON path, byte for byte the engine's output."""
    case = load_case(path)
    text = json.dumps(case["request"])
    if "expected_error" in case:
        with pytest.raises(commerce.CommerceError) as raised:
            commerce.quote_json(text)
        assert raised.value.code == case["expected_error"]["code"]
    else:
        quote_text = commerce.quote_json(text)
        out: list[str] = []
        mismatches(case["expected"], json.loads(quote_text), "quote", out)
        assert out == []
        assert as_json(commerce.quote(case["request"])) == json.loads(quote_text)


def test_amounts_are_decimals() -> None:
    quote = commerce.quote(load_case(CASES[0])["request"])
    assert isinstance(quote["totals"]["grand_total"], Decimal)
    assert isinstance(quote["lines"][0]["unit_price"], Decimal)
    assert isinstance(quote["lines"][0]["quantity"], int)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_quote_totals_are_the_quotes_totals(path: Path) -> None:
    """quote_totals() gives quote()'s totals, or refuses the request with the same error."""
    request = load_case(path)["request"]
    if contains_float(request):
        with pytest.raises(TypeError, match="never float"):
            commerce.quote_totals(request)
        return
    try:
        expected = commerce.quote(request)
    except commerce.CommerceError as error:
        with pytest.raises(type(error)) as raised:
            commerce.quote_totals(request)
        assert (raised.value.code, raised.value.field) == (error.code, error.field)
        return
    totals = commerce.quote_totals(request)
    assert totals.to_dict() == expected["totals"]
    assert totals.grand_total == expected["totals"]["grand_total"]


@pytest.mark.parametrize("path", [p for p in CASES if "expected" in load_case(p)], ids=lambda p: p.stem)
def test_price_reads_the_same_quote(path: Path) -> None:
    """The Quote object holds exactly what quote() returns, field for field."""
    request = load_case(path)["request"]
    priced, expected = commerce.price(request), commerce.quote(request)
    assert priced.to_dict() == expected
    assert priced.totals.to_dict() == expected["totals"]
    assert priced.totals.grand_total == expected["totals"]["grand_total"]
    assert priced.currency == expected["currency"]
    for line, want in zip(priced.lines, expected["lines"]):
        assert line.to_dict() == want
        assert (line.id, line.sku, line.quantity, line.total, line.unit_price) == (
            want["id"], want["sku"], want["quantity"], want["total"], want["unit_price"])
    if expected["shipping"] is None:
        assert priced.shipping is None
    else:
        shipping = priced.shipping
        assert shipping is not None
        assert shipping.to_dict() == expected["shipping"]
        assert shipping.total == expected["shipping"]["total"]
    assert priced.promotions == expected["promotions"]
    assert priced.taxes == expected["taxes"]


def test_price_raises_like_quote() -> None:
    with pytest.raises(commerce.ValidationError) as raised:
        commerce.price({"currency": "USD", "now": "2026-11-22T09:00:00Z",
                        "lines": [{"id": "1", "sku": "A", "quantity": 1, "unit_price": "1.001"}]})
    assert raised.value.code == "too_many_decimals"
    with pytest.raises(TypeError, match="never float"):
        commerce.price({"currency": "USD", "now": "2026-11-22T09:00:00Z",
                        "lines": [{"id": "1", "sku": "A", "quantity": 1, "unit_price": 1.5}]})
