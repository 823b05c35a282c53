"""The worker's jobs from Python: `run_pending_jobs` sends a purchase's events to NATS and to
a signed webhook endpoint, once each, and reports a broker that is away without raising."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

import commerce
from conftest import stock_shop


GUEST = {
    "email": "guest@example.com",
    "shipping_address": {"name": "Grace Hopper", "line1": "1 Main St", "city": "Springfield",
                         "region": "CA", "postal_code": "94016", "country": "US"},
}
"""Who a guest's test order goes to."""


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def drain(shop: commerce.Commerce) -> None:
    for _ in range(100):
        if not shop.run_pending_jobs()["found_work"]:
            return
    raise AssertionError("the jobs never ran out")


def buy(shop: commerce.Commerce) -> str:
    cart = shop.create_cart("USD")
    shop.add_to_cart(cart["id"], "MUG", 1)
    shop.set_shipping(cart["id"], {"country": "US"}, "post")
    return str(shop.checkout(cart["id"], "tok_visa", **GUEST)["order"]["id"])


def test_events_reach_nats_once_each(tmp_path: Path) -> None:
    if not reachable("127.0.0.1", 4222):
        assert os.environ.get("CI") != "true", "NATS is needed under CI=true"
        pytest.skip("no NATS at 127.0.0.1:4222")
    shop = stock_shop(
        commerce.connect(f"sqlite://{tmp_path / 'shop.db'}", gateway="test", events=["nats://127.0.0.1:4222"]), 10
    )
    order = buy(shop)
    drain(shop)
    delivered = shop.deliveries(status="delivered", destination="nats", limit=100)["items"]
    mine = [d for d in delivered if d["stream"] == order]
    assert len(mine) >= 4, mine  # placed, reserved, authorized, captured, confirmed
    assert len({d["event_id"] for d in mine}) == len(mine)
    assert shop.deliveries(status="pending")["items"] == []


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["content-length"]))
        Receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_webhooks_are_signed_in_the_standard_webhooks_format(tmp_path: Path) -> None:
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        shop = stock_shop(
            commerce.connect(f"sqlite://{tmp_path / 'shop.db'}", gateway="test", webhooks_to_private_addresses=True),
            10,
        )
        endpoint = shop.create_webhook_endpoint(
            f"http://127.0.0.1:{server.server_port}/hook", ["order_confirmed"]
        )
        with pytest.raises(commerce.ValidationError):
            shop.create_webhook_endpoint("ftp://example.com/")
        with pytest.raises(commerce.CommerceError):
            shop.create_webhook_endpoint("https://example.com/", ["no_such_event"])
        order = buy(shop)
        drain(shop)
        assert len(Receiver.received) == 1, "only the type it asked for"
        headers, body = Receiver.received[0]
        event = json.loads(body)
        assert (event["type"], event["order_id"]) == ("order_confirmed", order)
        assert headers["webhook-id"] == event["id"]
        key = base64.b64decode(endpoint["secret"].removeprefix("whsec_"))
        signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        assert f"v1,{expected}" in headers["webhook-signature"].split(" ")
    finally:
        server.shutdown()


def test_a_broker_that_is_away_is_reported_not_raised(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    shop = stock_shop(
        commerce.connect(f"sqlite://{tmp_path / 'shop.db'}", gateway="test", events=[f"nats://127.0.0.1:{port}"]),
        10,
    )
    buy(shop)
    done = shop.run_pending_jobs()
    assert done["failed"] == 1 and done["delivered"] == 0, done
    assert shop.deliveries(status="pending", destination="nats")["items"]
    with pytest.raises(commerce.ValidationError):
        commerce.connect("sqlite::memory:", events=["kafka://nowhere"])
