"""Money: exact decimals, currencies' minor units, no floats, no silent mixing."""

from __future__ import annotations

import pickle
from decimal import Decimal

import pytest

import commerce
from commerce import Money


def test_parsing_is_strict() -> None:
    assert Money("19.99", "USD").amount == Decimal("19.99")
    assert Money(Decimal("19.9"), "USD").amount == Decimal("19.90")
    assert Money(20, "USD").amount == Decimal("20.00")
    with pytest.raises(commerce.ValidationError) as raised:
        Money("19.999", "USD")
    assert raised.value.code == "too_many_decimals"
    with pytest.raises(commerce.ValidationError) as raised:
        Money("1e3", "USD")
    assert raised.value.code == "invalid_amount"
    with pytest.raises(commerce.ValidationError) as raised:
        Money(Decimal("NaN"), "USD")
    assert raised.value.code == "invalid_amount"
    assert Money(Decimal("1E+2"), "USD").amount == Decimal("100.00")


@pytest.mark.parametrize("bad", [19.99, 1.0, float("nan")])
def test_floats_are_a_type_error(bad: float) -> None:
    with pytest.raises(TypeError, match="never float"):
        Money(bad, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="never float"):
        Money("1.00", "USD").percentage(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money("1.00", "USD") * bad  # type: ignore[operator]


def test_currency_exponents() -> None:
    assert commerce.currency_exponent("JPY") == 0
    assert commerce.currency_exponent("KRW") == 0
    assert commerce.currency_exponent("CLP") == 0
    assert commerce.currency_exponent("USD") == 2
    assert commerce.currency_exponent("KWD") == 3
    assert commerce.currency_exponent("BHD") == 3
    assert Money("1500", "JPY").minor_units == 1500
    assert Money("1.234", "KWD").minor_units == 1234
    with pytest.raises(commerce.ValidationError) as raised:
        commerce.currency_exponent("ZZZ")
    assert raised.value.code == "unknown_currency"


def test_arithmetic_never_mixes_currencies() -> None:
    usd, eur = Money("1.00", "USD"), Money("1.00", "EUR")
    assert usd + usd == Money("2.00", "USD")
    assert usd - Money("3.00", "USD") == Money("-2.00", "USD")
    assert 3 * usd == usd * 3 == Money("3.00", "USD")
    assert -usd == Money("-1.00", "USD")
    with pytest.raises(commerce.CurrencyMismatch):
        usd + eur
    with pytest.raises(commerce.CurrencyMismatch):
        usd < eur  # noqa: B015
    assert usd != eur
    assert usd < Money("1.01", "USD") <= Money("1.01", "USD")
    with pytest.raises(TypeError):
        usd + 1  # type: ignore[operator]


def test_overflow_is_an_error_not_a_crash() -> None:
    big = Money("79228162514264337593543950.33", "USD")
    with pytest.raises(commerce.CommerceError) as raised:
        big * 1_000_000
    assert raised.value.code == "overflow"
    assert isinstance(raised.value, ArithmeticError)


def test_allocation_never_loses_a_cent() -> None:
    for total in ["0.01", "0.10", "100.00", "-7.77", "999999.99"]:
        money = Money(total, "USD")
        for weights in ([1], [1, 1, 1], [Decimal("0.5"), "1.5", 3], [7, 0, 2]):
            parts = money.allocate(weights)
            assert sum(p.minor_units for p in parts) == money.minor_units
        for n in range(1, 8):
            parts = money.split(n)
            assert sum(p.minor_units for p in parts) == money.minor_units
            assert max(p.minor_units for p in parts) - min(p.minor_units for p in parts) <= 1
    with pytest.raises(commerce.ValidationError):
        Money("1.00", "USD").allocate([0, 0])


def test_rounding_modes_are_named() -> None:
    assert Money.rounded("2.345", "USD").amount == Decimal("2.34")
    assert Money.rounded("2.345", "USD", "half_up").amount == Decimal("2.35")
    assert Money.rounded("-2.341", "USD", "floor").amount == Decimal("-2.35")
    assert Money.rounded("2.341", "USD", "ceiling").amount == Decimal("2.35")
    assert Money.rounded("2.349", "USD", "down").amount == Decimal("2.34")
    assert Money.rounded("2.341", "USD", "up").amount == Decimal("2.35")
    assert Money.rounded("2.345", "USD", "half_down").amount == Decimal("2.34")
    with pytest.raises(commerce.ValidationError) as raised:
        Money.rounded("1", "USD", "bankers")
    assert raised.value.field == "rounding"


def test_money_is_a_value() -> None:
    price = Money("19.99", "USD")
    assert hash(price) == hash(Money("19.99", "USD"))
    assert {price, Money("19.99", "USD")} == {price}
    assert pickle.loads(pickle.dumps(price)) == price
    assert repr(price) == "Money('19.99', 'USD')"
    assert str(price) == "19.99 USD"
    assert price.to_dict() == {"amount": Decimal("19.99"), "currency": "USD"}
    assert Money.from_minor(-5, "USD") == Money("-0.05", "USD")
    assert not Money.zero("EUR")
    assert Money.zero("EUR").is_zero() and Money("-1", "EUR").is_negative()
