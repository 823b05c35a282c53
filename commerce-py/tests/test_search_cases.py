"""The shared search cases (testdata/search) from Python, on a SQLite file and on PostgreSQL:
the same catalog, the same queries, the same results in the same order as in Rust."""

from __future__ import annotations

import json
from typing import Any

import commerce

from conftest import ROOT

CASES = ROOT / "testdata" / "search"


def shared_catalog_shop(database_url: str) -> commerce.Commerce:
    """A shop holding the shared catalog, priced as the Rust check prices it (10.00 + i)."""
    shop = commerce.connect(database_url)
    catalog: dict[str, Any] = json.loads((CASES / "catalog.json").read_text())
    shop.put_category({"id": "home", "name": "Home"})
    for id, name in catalog["categories"].items():
        shop.put_category({"id": id, "name": name, "parent_id": "home" if id == "kitchen" else None})
    for i, product in enumerate(catalog["products"]):
        for variant in product["variants"]:
            variant["prices"] = [{"price_list": "default",
                                  "amount": {"amount": f"{10 + i}.00", "currency": "USD"}}]
        shop.put_product(product)
    shop.put_product({"id": "p99", "name": "Draft mug", "status": "draft",
                      "variants": [{"sku": "DRAFT-MUG", "prices": []}]})
    return shop


def test_every_shared_query_finds_the_same_products_in_order(database_url: str) -> None:
    shop = shared_catalog_shop(database_url)
    for case in json.loads((CASES / "queries.json").read_text()):
        found = [item["product"]["id"] for item in shop.search(case["query"], "USD", limit=100)["items"]]
        assert found == case["expected"], f"{case['query']!r}: {case['why']}"
