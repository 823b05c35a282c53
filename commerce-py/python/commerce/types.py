"""Typed shapes of pricing requests and quotes, for type checkers.

They mirror the Rust types of ``commerce-core`` (``pricing/request.rs``, ``pricing/quote.rs``)
field for field, as the JavaScript package's ``commerce.d.ts`` does; the test suite checks every
shared pricing case against them. At run time they are plain dicts: build a request as a dict
literal annotated with :class:`PricingRequest`, and read a quote as a :class:`Quote`.

In requests, amounts and rates are :data:`DecimalInput` (``Decimal``, ``str`` or ``int``, never
``float``); in quotes, they are always ``decimal.Decimal``.
"""


from decimal import Decimal
from typing import Literal, NotRequired, TypedDict, Union

__all__ = [
    "Address",
    "Allocation",
    "Benefit",
    "BuyGetItems",
    "CartContents",
    "CartLimits",
    "CartLine",
    "CatalogItem",
    "Checkout",
    "CombinesWith",
    "Conditions",
    "CouponOutcome",
    "CustomerContext",
    "DecimalInput",
    "Destination",
    "FacetCounts",
    "GatewayHealth",
    "LineDiscount",
    "LineInput",
    "LineSelector",
    "MoneyDict",
    "MoneyValue",
    "NotAppliedReason",
    "Order",
    "OrderLine",
    "OrderPage",
    "PaymentIntent",
    "PriceList",
    "PriceListEntry",
    "PriceRange",
    "PriceSource",
    "PriceTier",
    "PricingContext",
    "PricingRequest",
    "Promotion",
    "PromotionOutcome",
    "QuantityTier",
    "Quote",
    "QuoteLine",
    "QuoteShipping",
    "RoundingMode",
    "SearchItem",
    "SearchResults",
    "Shipment",
    "ShippingOffer",
    "ShippingMethod",
    "ShippingRate",
    "StoredCart",
    "Suggestion",
    "Target",
    "TaxLevel",
    "TaxLine",
    "TaxRate",
    "TaxSummary",
    "Totals",
    "WeightTier",
    "WordMatch",
]

DecimalInput = Union[Decimal, str, int]
"""An exact decimal in a request: ``Decimal("19.99")``, ``"19.99"`` or ``20``; never float."""

PerCurrency = dict[str, DecimalInput]
"""Amounts keyed by ISO 4217 code: ``{"USD": "5.00", "JPY": "700"}``."""

RoundingMode = Literal["half_even", "half_up", "half_down", "up", "down", "ceiling", "floor"]
TaxLevel = Literal["line", "unit"]


class MoneyDict(TypedDict):
    amount: DecimalInput
    currency: str


class _AddressRequired(TypedDict):
    name: str
    line1: str
    city: str
    country: str


class Address(_AddressRequired, total=False):
    """A postal address: where an order ships or who pays. ``country`` is ISO 3166-1 alpha-2."""

    id: str
    line2: str
    region: str
    postal_code: str
    phone: str


class CustomerContext(TypedDict, total=False):
    group: str | None
    previous_orders: int


class PriceTier(TypedDict):
    min_quantity: int
    unit_price: DecimalInput


class LineInput(TypedDict):
    id: str
    sku: str
    product_id: NotRequired[str | None]
    category_ids: NotRequired[list[str]]
    quantity: int
    unit_price: DecimalInput
    tiers: NotRequired[list[PriceTier]]
    tax_category: NotRequired[str | None]
    weight: NotRequired[DecimalInput | None]


class PriceListEntry(TypedDict):
    sku: str
    min_quantity: NotRequired[int]
    unit_price: DecimalInput


class PriceList(TypedDict):
    id: str
    currency: str
    customer_group: NotRequired[str | None]
    starts_at: NotRequired[str | None]
    ends_at: NotRequired[str | None]
    prices: list[PriceListEntry]


class TaxRate(TypedDict):
    id: str
    name: NotRequired[str | None]
    rate: DecimalInput
    categories: list[str]


class WeightTier(TypedDict):
    min_weight: DecimalInput
    amount: DecimalInput


class QuantityTier(TypedDict):
    min_quantity: int
    amount: DecimalInput


class _FlatAmount(TypedDict):
    amount: DecimalInput


class _FlatRate(TypedDict):
    flat: _FlatAmount


class _WeightTiersRate(TypedDict):
    weight_tiers: list[WeightTier]


class _QuantityTiersRate(TypedDict):
    quantity_tiers: list[QuantityTier]


ShippingRate = Union[_FlatRate, _WeightTiersRate, _QuantityTiersRate]


class ShippingMethod(TypedDict):
    id: str
    rate: ShippingRate
    free_above: NotRequired[DecimalInput | None]
    tax_category: NotRequired[str | None]


class LineSelector(TypedDict, total=False):
    skus: list[str]
    product_ids: list[str]
    category_ids: list[str]


class _LinesTarget(TypedDict):
    lines: LineSelector


Target = Union[Literal["order", "shipping"], _LinesTarget]


class BuyGetItems(TypedDict):
    quantity: int
    items: NotRequired[LineSelector]


class _PercentageOff(TypedDict):
    percent: DecimalInput
    target: Target


class _FixedAmountOff(TypedDict):
    amounts: PerCurrency
    target: Target


class _BuyXGetY(TypedDict):
    buy: BuyGetItems
    get: BuyGetItems
    percent: DecimalInput
    max_applications: NotRequired[int | None]


class _PercentageOffBenefit(TypedDict):
    percentage_off: _PercentageOff


class _FixedAmountOffBenefit(TypedDict):
    fixed_amount_off: _FixedAmountOff


class _BuyXGetYBenefit(TypedDict):
    buy_x_get_y: _BuyXGetY


Benefit = Union[
    _PercentageOffBenefit, _FixedAmountOffBenefit, _BuyXGetYBenefit, Literal["free_shipping"]
]


class Conditions(TypedDict, total=False):
    min_subtotal: PerCurrency
    min_quantity: int | None
    customer_groups: list[str]
    first_order: bool


class CombinesWith(TypedDict, total=False):
    order: bool
    lines: bool
    shipping: bool


class Promotion(TypedDict):
    id: str
    name: NotRequired[str | None]
    priority: NotRequired[int]
    benefit: Benefit
    conditions: NotRequired[Conditions]
    coupon_codes: NotRequired[list[str]]
    starts_at: NotRequired[str | None]
    ends_at: NotRequired[str | None]
    remaining_uses: NotRequired[int | None]
    exclusive: NotRequired[bool]
    stop_further: NotRequired[bool]
    combines_with: NotRequired[CombinesWith]
    max_discount: NotRequired[PerCurrency]


class PricingRequest(TypedDict):
    """Everything the engine needs to price a cart. Unknown keys are refused."""

    currency: str
    now: str
    prices_include_tax: NotRequired[bool]
    tax_level: NotRequired[TaxLevel]
    rounding_mode: NotRequired[RoundingMode]
    customer: NotRequired[CustomerContext]
    lines: list[LineInput]
    price_lists: NotRequired[list[PriceList]]
    tax_rates: NotRequired[list[TaxRate]]
    promotions: NotRequired[list[Promotion]]
    coupon_codes: NotRequired[list[str]]
    shipping: NotRequired[ShippingMethod | None]


class CatalogItem(TypedDict):
    """What the catalog says about a SKU, for :meth:`commerce.Cart.add_item`."""

    sku: str
    product_id: str | None
    category_ids: list[str]
    unit_price: MoneyDict
    tiers: list[PriceTier]
    tax_category: str | None
    weight: NotRequired[DecimalInput | None]


class PricingContext(TypedDict):
    """The rest of a pricing request, for pricing a :class:`commerce.Cart`."""

    now: str
    prices_include_tax: NotRequired[bool]
    tax_level: NotRequired[TaxLevel]
    rounding_mode: NotRequired[RoundingMode]
    customer: NotRequired[CustomerContext]
    price_lists: NotRequired[list[PriceList]]
    tax_rates: NotRequired[list[TaxRate]]
    promotions: NotRequired[list[Promotion]]
    shipping_methods: NotRequired[list[ShippingMethod]]


# ---------------------------------------------------------------------------------- quotes


class _BaseSource(TypedDict):
    type: Literal["base"]


class _TierSource(TypedDict):
    type: Literal["tier"]
    min_quantity: int


class _PriceListSource(TypedDict):
    type: Literal["price_list"]
    price_list: str
    min_quantity: int


PriceSource = Union[_BaseSource, _TierSource, _PriceListSource]


class LineDiscount(TypedDict):
    promotion: str
    amount: Decimal


class TaxLine(TypedDict):
    tax_rate: str
    rate: Decimal
    amount: Decimal


class QuoteLine(TypedDict):
    id: str
    sku: str
    quantity: int
    unit_price: Decimal
    price_source: PriceSource
    subtotal: Decimal
    discounts: list[LineDiscount]
    discount_total: Decimal
    net_total: Decimal
    tax_lines: list[TaxLine]
    tax_total: Decimal
    total: Decimal


class QuoteShipping(TypedDict):
    method: str
    rate_amount: Decimal
    free_above_threshold: bool
    subtotal: Decimal
    discounts: list[LineDiscount]
    discount_total: Decimal
    net_total: Decimal
    tax_lines: list[TaxLine]
    tax_total: Decimal
    total: Decimal


class NotAppliedReason(TypedDict):
    """Why a promotion did not apply. ``code`` is one of ``currency_not_supported``,
    ``not_started``, ``expired``, ``usage_exhausted``, ``coupon_not_entered``,
    ``customer_group_not_eligible``, ``first_order_only``, ``min_subtotal_not_met``
    (with ``threshold``), ``min_quantity_not_met`` (``threshold``), ``no_eligible_lines``,
    ``shipping_not_selected``, ``buy_quantity_not_met`` (``required``), ``nothing_to_discount``,
    ``superseded_by`` and ``not_combinable_with`` (``promotion``)."""

    code: str
    threshold: NotRequired[Decimal | int]
    required: NotRequired[int]
    promotion: NotRequired[str]


class Allocation(TypedDict):
    line: str
    amount: Decimal


class _Applied(TypedDict):
    status: Literal["applied"]
    id: str
    amount: Decimal
    allocations: list[Allocation]
    shipping_amount: Decimal


class _NotApplied(TypedDict):
    status: Literal["not_applied"]
    id: str
    reason: NotAppliedReason


PromotionOutcome = Union[_Applied, _NotApplied]


class CouponOutcome(TypedDict):
    code: str
    status: Literal["applied", "not_applied", "unknown"]
    promotions: list[str]


class TaxSummary(TypedDict):
    tax_rate: str
    name: str | None
    rate: Decimal
    taxable_amount: Decimal
    amount: Decimal


class Totals(TypedDict):
    subtotal: Decimal
    discount_total: Decimal
    shipping_total: Decimal
    net_total: Decimal
    tax_total: Decimal
    grand_total: Decimal


class Quote(TypedDict):
    """A priced cart: line totals plus shipping equal the grand total, exactly."""

    currency: str
    prices_include_tax: bool
    lines: list[QuoteLine]
    shipping: QuoteShipping | None
    promotions: list[PromotionOutcome]
    coupon_codes: list[CouponOutcome]
    taxes: list[TaxSummary]
    totals: Totals


# ---------------------------------------------------------------- what the store returns
# Statuses are the core's snake-case names (``"confirmed"``, ``"succeeded"``); amounts in
# results are always ``Decimal``.


class MoneyValue(TypedDict):
    amount: Decimal
    currency: str


class Destination(TypedDict):
    country: str
    region: str


class CartLimits(TypedDict):
    max_lines: int
    max_quantity_per_line: int
    max_coupon_codes: int


class CartLine(TypedDict):
    id: str
    sku: str
    options: dict[str, str]
    quantity: int


class CartContents(TypedDict):
    currency: str
    lines: list[CartLine]
    coupon_codes: list[str]
    shipping_method: str | None
    limits: CartLimits
    next_line: int


class StoredCart(TypedDict):
    """A cart as the store keeps it: ``cart["cart"]["lines"]``, its owner, its version."""

    id: str
    customer_id: str | None
    destination: Destination | None
    cart: CartContents
    version: int
    updated_at: str


class OrderLine(TypedDict):
    id: str
    sku: str
    quantity: int
    fulfilled_quantity: int
    returned_quantity: int
    total: MoneyValue


class _ShipmentRequired(TypedDict):
    carrier: str
    tracking_number: str


class Shipment(_ShipmentRequired, total=False):
    tracking_url: str


class Order(TypedDict):
    """An order: its quote at placement (money never changes after it), lines, statuses, and
    who it goes to."""

    id: str
    cart_id: str | None
    customer_id: str | None
    currency: str
    quote: Quote
    lines: list[OrderLine]
    status: str
    payment_status: str
    fulfillment_status: str
    reservation_id: str | None
    payment_intent_id: str | None
    cancellation_reason: NotRequired[str]
    promotion_uses: NotRequired[list[dict[str, object]]]
    email: NotRequired[str]
    shipping_address: NotRequired[Address]
    billing_address: NotRequired[Address]
    shipment: NotRequired[Shipment]
    version: int
    created_at: str
    updated_at: str


class PaymentIntent(TypedDict):
    id: str
    order_id: str
    amount: MoneyValue
    status: str
    capture_method: str
    amount_capturable: MoneyValue
    amount_received: MoneyValue
    amount_refunded: MoneyValue
    payment_method: str | None
    gateway_reference: str | None
    authorization_expires_at: str | None
    last_error: str | None
    moves: NotRequired[list[dict[str, object]]]
    unanswered_authorization: NotRequired[dict[str, object]]
    next_action: NotRequired[dict[str, object]]
    version: int
    created_at: str
    updated_at: str


class Checkout(TypedDict):
    """What a checkout (and a payment confirmed later) returns: the order and its payment."""

    order: Order
    payment_intent: PaymentIntent


class OrderPage(TypedDict):
    items: list[Order]
    next_cursor: str | None


class WordMatch(TypedDict):
    word: str
    kind: Literal["exact", "stemmed", "prefix", "typo"]
    field: Literal["name", "sku", "category", "attribute", "description"]


class SearchItem(TypedDict):
    product: dict[str, object]
    matches: list[WordMatch]


class FacetCounts(TypedDict):
    categories: dict[str, int]
    attributes: dict[str, dict[str, int]]
    in_stock: int


class PriceRange(TypedDict):
    min: MoneyValue
    max: MoneyValue


class GatewayHealth(TypedDict):
    """The payment gateway's circuit breaker (``Commerce.gateway_health()``)."""

    gateway: str
    state: Literal["closed", "open", "half_open"]
    consecutive_failures: int
    times_opened: int
    calls_refused: int


class ShippingOffer(TypedDict):
    """A shipping method that serves a cart's destination, priced for the cart."""

    method: str
    shipping_total: MoneyValue
    grand_total: MoneyValue


class SearchResults(TypedDict):
    """A page of search results, best first, with the facet counts of all of them."""

    items: list[SearchItem]
    total: int
    facets: FacetCounts
    price_range: PriceRange | None
    next_cursor: str | None


class Suggestion(TypedDict):
    product_id: str
    name: str
