"""The typed shapes in commerce.types describe what the engine really returns: every quote of
the shared cases is checked against `Quote`, key by key and type by type, at run time."""

from __future__ import annotations

import types as builtin_types
import typing
from pathlib import Path
from typing import Any, Literal, NotRequired, Union, get_args, get_origin, get_type_hints

import pytest

import commerce
from commerce import types
from conftest import CASES, load_case


def conforms(value: Any, hint: Any, path: str, out: list[str]) -> None:
    origin = get_origin(hint)
    if hint is Any:
        return
    if origin is NotRequired:
        conforms(value, get_args(hint)[0], path, out)
    elif origin in (Union, builtin_types.UnionType):
        for option in get_args(hint):
            attempt: list[str] = []
            conforms(value, option, path, attempt)
            if not attempt:
                return
        out.append(f"{path}: {value!r} matches no option of {hint}")
    elif origin is Literal:
        if value not in get_args(hint):
            out.append(f"{path}: {value!r} is not one of {get_args(hint)}")
    elif origin is list:
        if not isinstance(value, list):
            out.append(f"{path}: expected a list, got {value!r}")
            return
        for i, item in enumerate(value):
            conforms(item, get_args(hint)[0], f"{path}[{i}]", out)
    elif origin is dict:
        if not isinstance(value, dict):
            out.append(f"{path}: expected a dict, got {value!r}")
            return
        for key, item in value.items():
            conforms(item, get_args(hint)[1], f"{path}.{key}", out)
    elif typing.is_typeddict(hint):
        if not isinstance(value, dict):
            out.append(f"{path}: expected a {hint.__name__}, got {value!r}")
            return
        hints = get_type_hints(hint, include_extras=True)
        for key in value:
            if key not in hints:
                out.append(f"{path}.{key}: not declared in {hint.__name__}")
        for key, field in hints.items():
            if key in value:
                conforms(value[key], field, f"{path}.{key}", out)
            elif key in hint.__required_keys__:
                out.append(f"{path}.{key}: required by {hint.__name__}, missing")
    elif hint is type(None):
        if value is not None:
            out.append(f"{path}: expected None, got {value!r}")
    elif hint is int:
        if not isinstance(value, int) or isinstance(value, bool):
            out.append(f"{path}: expected int, got {value!r}")
    elif isinstance(hint, type):
        if not isinstance(value, hint):
            out.append(f"{path}: expected {hint.__name__}, got {value!r}")
    else:
        out.append(f"{path}: cannot check {hint!r}")


VALID = [p for p in CASES if "expected" in load_case(p)]


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_quotes_match_the_declared_types(path: Path) -> None:
    case = load_case(path)
    out: list[str] = []
    conforms(case["request"], types.PricingRequest, "request", out)
    conforms(commerce.quote(case["request"]), types.Quote, "quote", out)
    assert out == []


def test_the_checker_notices_drift() -> None:
    out: list[str] = []
    conforms({"code": "FIVE", "status": "maybe", "promotions": []}, types.CouponOutcome, "c", out)
    conforms({"subtotal": "1.00"}, types.Totals, "t", out)
    assert len(out) == 7, out
    conforms({"amount": "1.00", "promotion": "p"}, types.LineDiscount, "d", out)
    assert out[-1] == "d.amount: expected Decimal, got '1.00'"
