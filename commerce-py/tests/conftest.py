"""Shared fixtures: the shared pricing cases, and fresh shops on SQLite files and PostgreSQL."""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import commerce

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "testdata" / "pricing").glob("*.json"))
POSTGRES_URL = os.environ.get(
    "COMMERCE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
)


def postgres_reachable() -> bool:
    parts = urlsplit(POSTGRES_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            return True
    except OSError:
        return False


def postgres_url_for_new_schema() -> str:
    """The test database, with a new schema of its own (created by the store on connect)."""
    if not postgres_reachable():
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}, and under CI=true its tests must run")
        pytest.skip(f"SKIPPED LOUDLY: {message}")
    schema = "py_" + uuid.uuid4().hex[:12]
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-c%20search_path%3D{schema}"


def product(id: str, sku: str, price: str, *, tax_category: str | None = None) -> dict[str, Any]:
    return {
        "id": id,
        "name": id.title(),
        "description": "",
        "status": "active",
        "category_ids": ["all"],
        "tax_category": tax_category,
        "variants": [
            {
                "sku": sku,
                "options": {},
                "weight": None,
                "prices": [
                    {
                        "price_list": "default",
                        "amount": {"amount": price, "currency": "USD"},
                        "tiers": [],
                    }
                ],
            }
        ],
    }


def stock_shop(shop: commerce.Commerce, units: int) -> commerce.Commerce:
    """A mug at 10.00 with `units` in stock, 20% tax, flat 5.00 shipping, coupon FIVE."""
    shop.put_product(product("mug", "MUG", "10.00", tax_category="standard"))
    shop.adjust_stock("MUG", units)
    config = shop.config()
    config["tax_zones"] = [
        {"country": "*", "rates": [{"id": "vat", "rate": "0.20", "categories": ["standard"]}]}
    ]
    config["shipping_methods"] = [
        {"method": {"id": "post", "rate": {"flat": {"amount": "5.00"}}, "tax_category": None}}
    ]
    config["promotions"] = [
        {
            "id": "five-off",
            "benefit": {"fixed_amount_off": {"amounts": {"USD": "5.00"}, "target": "order"}},
            "coupon_codes": ["FIVE"],
        }
    ]
    shop.put_config(config)
    return shop


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'shop.db'}"
    else:
        yield postgres_url_for_new_schema()


@pytest.fixture
def shop(database_url: str) -> commerce.Commerce:
    return stock_shop(commerce.connect(database_url, gateway="test"), 10)


def load_case(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())
