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
