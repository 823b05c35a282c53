"""One commerce engine, from Python: exact money, cart pricing, stock and checkout.

The same Rust engine prices carts for the server, the browser and this package, so a cart gives
the same totals to the last cent everywhere. Amounts are ``decimal.Decimal`` (or ``str``), never
``float``.

>>> import commerce
>>> quote = commerce.quote({
...     "currency": "USD",
...     "now": "2026-11-22T09:00:00Z",
...     "lines": [{"id": "1", "sku": "MUG", "quantity": 2, "unit_price": "12.50",
...                "tax_category": "standard"}],
...     "tax_rates": [{"id": "vat", "rate": "0.20", "categories": ["standard"]}],
... })
>>> quote["totals"]["tax_total"], quote["totals"]["grand_total"]
(Decimal('5.00'), Decimal('30.00'))

``quote()`` returns plain dicts; ``price()`` returns a :class:`Quote` object that reads the same
values as attributes and makes Python values only for what is read; ``quote_totals()`` returns
only the :class:`Totals`, the same totals computed without the explanation.
"""

from __future__ import annotations

from . import types
from ._native import (
    Cart,
    Commerce,
    Money,
    Quote,
    QuoteLine,
    QuoteShipping,
    Totals,
    currency_exponent,
    price,
    quote,
    quote_json,
    quote_totals,
    version,
)
from .errors import (
    AmountExceeded,
    AmountOverflow,
    BackendError,
    CommerceError,
    Conflict,
    CurrencyMismatch,
    GatewayError,
    IdempotencyConflict,
    InsufficientStock,
    InvalidTransition,
    NotFound,
    PaymentDeclined,
    ReservationExpired,
    ValidationError,
)

__version__ = version()

__all__ = [
    "AmountExceeded",
    "AmountOverflow",
    "BackendError",
    "Cart",
    "Commerce",
    "CommerceError",
    "Conflict",
    "CurrencyMismatch",
    "GatewayError",
    "IdempotencyConflict",
    "InsufficientStock",
    "InvalidTransition",
    "Money",
    "NotFound",
    "PaymentDeclined",
    "Quote",
    "QuoteLine",
    "QuoteShipping",
    "ReservationExpired",
    "Totals",
    "ValidationError",
    "connect",
    "currency_exponent",
    "price",
    "quote",
    "quote_json",
    "quote_totals",
    "types",
    "version",
]


def connect(
    url: str,
    *,
    gateway: str | None = None,
    reservation_ttl_seconds: int | None = None,
    events: list[str] | None = None,
    smtp_url: str | None = None,
    smtp_from: str = "Shop <shop@localhost>",
    shop_name: str = "Shop",
    webhooks_to_private_addresses: bool = False,
) -> Commerce:
    """Opens a shop on the database a URL names: ``sqlite:///path/shop.db`` (created if
    missing), ``sqlite::memory:`` or ``postgresql://user@host/db``.

    ``gateway`` names the payment gateway: ``"test"`` (test tokens such as ``tok_visa``; no
    real money), ``"stripe"`` (``STRIPE_SECRET_KEY`` and ``STRIPE_WEBHOOK_SECRET`` from the
    environment), or ``None``, which refuses payments with :class:`GatewayError`
    (``payments_not_configured``) and keeps the orders.

    ``events`` names brokers (``nats://…``, ``amqp://…``) and ``smtp_url`` a mail server, for
    :meth:`Commerce.run_pending_jobs` to send events to, beside the shop's webhook endpoints.

    >>> import commerce
    >>> shop = commerce.connect("sqlite::memory:")
    >>> shop.products()["items"]
    []
    """
    return Commerce(
        url,
        gateway=gateway,
        reservation_ttl_seconds=reservation_ttl_seconds,
        events=events or [],
        smtp_url=smtp_url,
        smtp_from=smtp_from,
        shop_name=shop_name,
        webhooks_to_private_addresses=webhooks_to_private_addresses,
    )


open = connect  # noqa: A001
"""The former name of :func:`connect`, kept for code that calls ``commerce.open``; left out of
``__all__`` so that ``from commerce import *`` does not hide the built-in ``open``."""
