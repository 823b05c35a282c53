"""The exceptions the engine raises, one class per family of the core's stable error codes.

Every exception carries ``code`` (the core's stable code, such as ``"too_many_decimals"``) and
``field`` (the input it is about, or ``None``):

>>> import commerce
>>> try:
...     commerce.Money("19.999", "USD")
... except commerce.ValidationError as error:
...     print(error.code)
too_many_decimals
"""

from __future__ import annotations

__all__ = [
    "AmountExceeded",
    "BackendError",
    "CommerceError",
    "Conflict",
    "CurrencyMismatch",
    "GatewayError",
    "IdempotencyConflict",
    "InsufficientStock",
    "InvalidTransition",
    "NotFound",
    "AmountOverflow",
    "PaymentDeclined",
    "ReservationExpired",
    "Forbidden",
    "Unauthorized",
    "ValidationError",
]


class CommerceError(Exception):
    """Base of every error the engine raises."""

    code: str
    """The core's stable, machine-readable code, such as ``"insufficient_stock"``."""
    field: str | None
    """The input the error is about (``"lines[0].unit_price"``), when there is one."""

    def __init__(self, message: str, code: str = "commerce_error", field: str | None = None):
        super().__init__(message)
        self.code = code
        self.field = field

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (str(self), self.code, self.field))


class ValidationError(CommerceError, ValueError):
    """The input is malformed or breaks a rule: a bad amount, quantity, currency or request."""


class CurrencyMismatch(ValidationError):
    """Two amounts in different currencies were combined."""


class AmountExceeded(ValidationError):
    """More was captured or refunded than the payment allows."""


class NotFound(CommerceError, LookupError):
    """No such cart, order, product, line or payment."""


class Conflict(CommerceError):
    """Someone else changed the record first, or the id is taken."""


class InsufficientStock(CommerceError):
    """Not enough stock to reserve; nothing was reserved."""


class InvalidTransition(CommerceError):
    """The order or payment is not in a state that allows the operation."""


class PaymentDeclined(CommerceError):
    """The payment gateway declined; the stock was released, and the order waits for another
    payment method (check the cart out again)."""


class ReservationExpired(CommerceError):
    """The stock hold ran out before the payment completed."""


class IdempotencyConflict(CommerceError):
    """The idempotency key was used for a different request, or its first use is still running."""


class AmountOverflow(CommerceError, ArithmeticError):
    """An amount left the range the engine computes in."""


class BackendError(CommerceError):
    """The database or the payment gateway failed; retrying with the same key is safe."""


class GatewayError(BackendError):
    """The payment gateway could not be reached, did not answer, is paused after repeated
    failures (code ``gateway_circuit_open``) or is not configured (``payments_not_configured``).
    A money move it was asked for is recorded and settled later; retrying with the same
    idempotency key learns how it ended, and never moves the money twice."""


class Unauthorized(CommerceError, PermissionError):
    """Credentials are needed that were not given."""


class Forbidden(CommerceError, PermissionError):
    """The caller may not do this."""


_BY_CODE: dict[str, type[CommerceError]] = {
    "unknown_currency": ValidationError,
    "currency_mismatch": CurrencyMismatch,
    "invalid_amount": ValidationError,
    "too_many_decimals": ValidationError,
    "negative_amount": ValidationError,
    "invalid_allocation": ValidationError,
    "quantity_out_of_range": ValidationError,
    "too_many_lines": ValidationError,
    "unknown_sku": ValidationError,
    "unknown_tax_category": ValidationError,
    "invalid_request": ValidationError,
    "invalid_input": ValidationError,
    "amount_exceeded": AmountExceeded,
    "line_not_found": NotFound,
    "not_found": NotFound,
    "duplicate_id": Conflict,
    "conflict": Conflict,
    "insufficient_stock": InsufficientStock,
    "invalid_transition": InvalidTransition,
    "payment_declined": PaymentDeclined,
    "reservation_expired": ReservationExpired,
    "too_many_unpaid_checkouts": Conflict,
    "promotion_used_up": Conflict,
    "idempotency_mismatch": IdempotencyConflict,
    "idempotency_in_flight": IdempotencyConflict,
    "overflow": AmountOverflow,
    "backend_error": BackendError,
    "gateway_error": GatewayError,
    "gateway_circuit_open": GatewayError,
    "payments_not_configured": GatewayError,
    "unauthorized": Unauthorized,
    "forbidden": Forbidden,
}


def _from_core(code: str, message: str, field: str | None) -> CommerceError:
    """The exception for one of the core's errors (called by the native module)."""
    return _BY_CODE.get(code, CommerceError)(message, code, field)
