"""The Stripe gateway from Python, against localstripe (started per test): the same checkout,
capture and refund as with the test gateway, with Stripe's keys from the environment."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

import commerce
from commerce import Money

from conftest import stock_shop
from test_store import GUEST


def localstripe_binary() -> str | None:
    candidate = os.environ.get("COMMERCE_TEST_LOCALSTRIPE") or shutil.which("localstripe")
    return candidate if candidate and Path(candidate).exists() else None


@pytest.fixture
def stripe_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    binary = localstripe_binary()
    if binary is None:
        assert os.environ.get("CI") != "true", "no localstripe, and CI=true"
        pytest.skip("no localstripe (scripts/test installs it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([binary, "--port", str(port), "--from-scratch"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_local")
        monkeypatch.setenv("STRIPE_API_BASE", f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


def test_checkout_capture_and_refund_through_stripe(stripe_env: str, tmp_path: Path) -> None:
    shop = stock_shop(commerce.connect(f"sqlite://{tmp_path / 'shop.db'}", gateway="stripe"), 5)
    cart = shop.create_cart("USD")
    shop.add_to_cart(cart["id"], "MUG", 2)
    placed = shop.checkout(cart["id"], "pm_card_visa", capture_method="manual", **GUEST)
    assert placed["order"]["status"] == "confirmed"
    assert placed["payment_intent"]["status"] == "requires_capture"
    assert placed["payment_intent"]["gateway_reference"].startswith("pi_")
    captured = shop.capture(placed["order"]["id"], Money("15.00", "USD"))
    assert captured["payment_intent"]["amount_received"]["amount"] == Decimal("15.00")
    refunded = shop.refund(placed["order"]["id"], Money("5.00", "USD"))
    assert refunded["payment_intent"]["amount_refunded"]["amount"] == Decimal("5.00")


def test_stripe_without_its_key_is_refused_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    with pytest.raises(commerce.ValidationError, match="STRIPE_SECRET_KEY"):
        commerce.connect("sqlite::memory:", gateway="stripe")
