"""Errors: one exception hierarchy, each carrying the core's stable code and field."""

from __future__ import annotations

import pickle
import re
from decimal import Decimal

import pytest

import commerce
from commerce import errors
from conftest import ROOT

REQUEST = {
    "currency": "USD",
    "now": "2026-11-22T09:00:00Z",
    "lines": [{"id": "1", "sku": "A", "quantity": 1, "unit_price": "1.00"}],
}


def test_every_class_is_a_commerce_error() -> None:
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), commerce.CommerceError)
    assert issubclass(commerce.ValidationError, ValueError)
    assert issubclass(commerce.NotFound, LookupError)
    assert issubclass(commerce.CurrencyMismatch, commerce.ValidationError)


def test_every_core_code_has_a_class() -> None:
    """Every stable code the core can raise (read from its source) maps to a specific class."""
    source = (ROOT / "commerce-core" / "src" / "error.rs").read_text()
    codes = set(re.findall(r'ErrorKind::\w+(?: \{ \.\. \})? => "(\w+)"', source))
    assert len(codes) >= 20
    assert codes == set(errors._BY_CODE)
    assert all(errors._BY_CODE[code] is not commerce.CommerceError for code in codes)


@pytest.mark.parametrize(
    ("change", "exception", "code", "field"),
    [
        ({"currency": "XYZ"}, commerce.ValidationError, "invalid_request", None),
        ({"lines": [{"id": "1", "sku": "A", "quantity": 1, "unit_price": "1.001"}]},
         commerce.ValidationError, "too_many_decimals", "lines[0].unit_price"),
        ({"lines": [{"id": "1", "sku": "A", "quantity": 0, "unit_price": "1.00"}]},
         commerce.ValidationError, "quantity_out_of_range", "lines[0].quantity"),
        ({"surprise": True}, commerce.ValidationError, "invalid_request", None),
        ({"now": "yesterday"}, commerce.ValidationError, "invalid_request", None),
    ],
)
def test_quote_errors(change: dict, exception: type, code: str, field: str | None) -> None:
    with pytest.raises(exception) as raised:
        commerce.quote({**REQUEST, **change})
    assert raised.value.code == code
    assert raised.value.field == field
    assert str(raised.value)


def test_python_type_errors_name_the_field() -> None:
    bad = {**REQUEST, "lines": [{"id": "1", "sku": "A", "quantity": 1, "unit_price": 1.5}]}
    with pytest.raises(TypeError, match=r"lines\[0\]\.unit_price is the float 1\.5"):
        commerce.quote(bad)
    with pytest.raises(TypeError, match="not a str"):
        commerce.quote({**REQUEST, 1: "x"})
    with pytest.raises(TypeError, match="object"):
        commerce.quote({**REQUEST, "now": object()})
    # Beyond 64 bits, as every surface reads it: invalid_request, here naming the field.
    with pytest.raises(commerce.ValidationError, match="beyond 64 bits") as big:
        commerce.quote({**REQUEST, "lines": [{**REQUEST["lines"][0], "quantity": 2**70}]})
    assert (big.value.code, big.value.field) == ("invalid_request", "lines[0].quantity")
    with pytest.raises(commerce.ValidationError) as priority:
        commerce.quote({**REQUEST, "promotions": [{"id": "p", "priority": -(2**70),
                                                   "benefit": "free_shipping"}]})
    assert (priority.value.code, priority.value.field) == ("invalid_request",
                                                           "promotions[0].priority")
    nested: list = []
    for _ in range(100):
        nested = [nested]
    with pytest.raises(ValueError, match="deeper"):
        commerce.quote({**REQUEST, "coupon_codes": nested})


def test_decimals_and_money_are_accepted_in_requests() -> None:
    line = {"id": "1", "sku": "A", "quantity": 2, "unit_price": Decimal("1.50")}
    quote = commerce.quote({**REQUEST, "lines": [line]})
    assert quote["totals"]["grand_total"] == Decimal("3.00")
    tuple_request = {**REQUEST, "lines": (line,)}
    assert commerce.quote(tuple_request) == quote


def test_errors_pickle_with_their_code() -> None:
    with pytest.raises(commerce.ValidationError) as raised:
        commerce.Money("1.001", "USD")
    copy = pickle.loads(pickle.dumps(raised.value))
    assert type(copy) is commerce.ValidationError
    assert (copy.code, copy.field, str(copy)) == (raised.value.code, raised.value.field,
                                                  str(raised.value))


def test_store_errors(tmp_path) -> None:
    shop = commerce.connect(f"sqlite://{tmp_path / 'shop.db'}", gateway="test")
    with pytest.raises(commerce.NotFound) as raised:
        shop.cart("cart_missing")
    assert raised.value.code == "not_found"
    with pytest.raises(commerce.NotFound):
        shop.order("ord_missing")
    with pytest.raises(commerce.ValidationError) as capture:
        shop.checkout("cart_missing", "tok_visa", capture_method="later")
    assert capture.value.field == "capture_method"
    with pytest.raises(TypeError, match="Money"):
        shop.refund("ord_missing", Decimal("1.00"))  # type: ignore[arg-type]
    with pytest.raises(commerce.ValidationError) as url:
        commerce.connect("mysql://localhost/shop")
    assert url.value.code == "invalid_input"
    with pytest.raises(commerce.BackendError):
        commerce.connect("postgresql://nobody@127.0.0.1:1/none")


def test_a_star_import_keeps_the_builtin_open() -> None:
    namespace: dict[str, object] = {}
    exec("from commerce import *", namespace)
    assert "open" not in namespace and "connect" in namespace
    assert commerce.open is commerce.connect, "the former name still works"


def test_unreadable_records_name_the_field_as_python_wrote_it() -> None:
    shop = commerce.connect("sqlite::memory:")
    cases = [
        ({"id": "mug"}, "name", "missing field `name`"),
        ({"id": "mug", "name": "Mug", "status": "actve", "variants": []}, "status",
         "unknown variant `actve`"),
        ({"id": "mug", "name": "Mug", "variants": [{"sku": "MUG", "prices": [{"price_list": 1}]}]},
         "variants[0].prices[0].price_list", "invalid type"),
    ]
    for product, field, message in cases:
        with pytest.raises(commerce.ValidationError) as raised:
            shop.put_product(product)
        assert raised.value.field == field, raised.value
        assert message in str(raised.value)
        assert "line 1" not in str(raised.value), "no position in a JSON text the caller never saw"
