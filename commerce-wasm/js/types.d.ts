// Generated from the Rust types of commerce-core by commerce-wasm/tests/typescript_types.rs;
// do not edit. Amounts, rates and percentages are decimal strings, never numbers.

/** A promotion's share of one line. */
export interface Allocation {
  /** The amount. */
  amount: Decimal;
  /** The line's id. */
  line: string;
}

/** What a promotion gives. */
export type Benefit = {
  /** A percentage off the target. */
  percentage_off: {
    /** The percentage, greater than 0 and at most 100. */
    percent: Decimal;
    /** What it discounts. */
    target: Target;
  };
} | {
  /** A fixed amount off the target (once, spread over the target's lines), per currency. */
  fixed_amount_off: {
    /** The amount per currency. */
    amounts: PerCurrency;
    /** What it discounts. */
    target: Target;
  };
} | {
  /** Buy `buy.quantity` units, get `get.quantity` units at `percent` off (100 = free); the cheapest qualifying units are the ones discounted. */
  buy_x_get_y: {
    /** The units that must be bought. */
    buy: BuyGetItems;
    /** The units that are discounted. */
    get: BuyGetItems;
    /** How many times it may apply in one cart; `None` means as often as the cart allows. */
    max_applications?: number | null;
    /** The percentage off the discounted units, greater than 0 and at most 100. */
    percent: Decimal;
  };
} | 'free_shipping';

/** One side of a buy-X-get-Y promotion: how many units, of which lines. */
export interface BuyGetItems {
  /** Which lines' units count. */
  items?: LineSelector;
  /** How many units. */
  quantity: number;
}

/** A shopping cart in one currency. */
export interface CartJson {
  coupon_codes: string[];
  currency: CurrencyCode;
  limits: CartLimits;
  lines: CartLine[];
  next_line: number;
  shipping_method?: string | null;
}

/** Bounds on a cart, against mistakes and against denial of inventory. */
export interface CartLimits {
  /** The most coupon codes a cart may hold (default 10). */
  max_coupon_codes: number;
  /** The most lines a cart may hold (default 500). */
  max_lines: number;
  /** The largest quantity of one line (default 10,000). */
  max_quantity_per_line: number;
}

/** One cart line: a SKU with options and a quantity. */
export interface CartLine {
  /** The line's id, unique within the cart (`line-1`, `line-2`, ...). */
  id: string;
  /** Options that make this line distinct from another of the same SKU (an engraving text). */
  options: Record<string, string>;
  /** The quantity, at least 1. */
  quantity: number;
  /** The SKU. */
  sku: string;
}

/** What the catalog says about a SKU, as pricing needs it. */
export interface CatalogItem {
  /** The product's categories (with ancestors, if promotions target them). */
  category_ids: string[];
  /** The product it belongs to. */
  product_id?: string | null;
  /** The SKU. */
  sku: string;
  /** The tax category; `None` for exempt items. */
  tax_category?: string | null;
  /** Volume tiers. */
  tiers: PriceTier[];
  /** The unit price in the cart's currency. */
  unit_price: Money;
  weight?: Decimal | null;
}

/** Which kinds of promotion may be combined with this one. All default to true. */
export interface CombinesWith {
  /** Line-level promotions (line targets and buy X get Y). */
  lines?: boolean;
  /** Order-level promotions. */
  order?: boolean;
  /** Shipping promotions. */
  shipping?: boolean;
}

/** Conditions that must all hold for a promotion to apply. */
export interface Conditions {
  /** The customer must be in one of these groups; empty means anyone. */
  customer_groups?: string[];
  /** The customer must have no previous orders. */
  first_order?: boolean;
  /** The target's lines must hold at least this many units together. */
  min_quantity?: number | null;
  /** The merchandise subtotal before discounts must reach this amount, per currency. */
  min_subtotal?: PerCurrency;
}

/** What became of one entered coupon code. */
export interface CouponOutcome {
  /** The code, normalised (trimmed, upper case). */
  code: string;
  /** The promotions the code unlocks. */
  promotions: string[];
  /** What happened. */
  status: CouponStatus;
}

/** What became of one entered coupon code. */
export type CouponStatus = 'applied' | 'not_applied' | 'unknown';

/** An ISO 4217 code of an active currency: "USD", "JPY", "KWD". */
export type CurrencyCode = string;

/** Who is buying. */
export interface CustomerContext {
  /** The customer's group (`"wholesale"`, `"vip"`), if any. */
  group?: string | null;
  /** How many orders the customer placed before this one (0 for a first order). */
  previous_orders?: number;
}

/** A decimal number written as a string: "19.99", "0.20", "1000". */
export type Decimal = string;

/** A promotion's share of a line or of shipping. */
export interface LineDiscount {
  /** The amount. */
  amount: Decimal;
  /** The promotion's id. */
  promotion: string;
}

/** One cart line: a SKU, a quantity and the catalog's price for it. */
export interface LineInput {
  /** The categories the product is in (including ancestors, if promotions target them). */
  category_ids?: string[];
  /** The line's id, unique within the request. */
  id: string;
  /** The product the SKU belongs to. */
  product_id?: string | null;
  /** How many units, at least 1. */
  quantity: number;
  /** The stock-keeping unit. */
  sku: string;
  /** The tax category; `None` means exempt (no tax lines at all). */
  tax_category?: string | null;
  /** Volume prices from the catalog: the unit price from a minimum quantity on. */
  tiers?: PriceTier[];
  /** The catalog's unit price (gross or net as `prices_include_tax` says). */
  unit_price: Decimal;
  weight?: Decimal | null;
}

/** Matches lines by SKU, product or category: a line matches if any listed value matches. An empty selector matches every line. */
export interface LineSelector {
  /** Category ids. */
  category_ids?: string[];
  /** Product ids. */
  product_ids?: string[];
  /** SKUs. */
  skus?: string[];
}

/** An exact amount of money in one currency. */
export interface Money {
  amount: Decimal;
  currency: CurrencyCode;
}

/** Why a promotion did not apply: a stable, machine-readable `code` and its details. */
export type NotAppliedReason = {
  code: 'currency_not_supported';
} | {
  code: 'not_started';
} | {
  code: 'expired';
} | {
  code: 'usage_exhausted';
} | {
  code: 'coupon_not_entered';
} | {
  code: 'customer_group_not_eligible';
} | {
  code: 'first_order_only';
} | {
  code: 'min_subtotal_not_met';
  /** The threshold. */
  threshold: Decimal;
} | {
  code: 'min_quantity_not_met';
  /** The threshold. */
  threshold: number;
} | {
  code: 'no_eligible_lines';
} | {
  code: 'shipping_not_selected';
} | {
  code: 'buy_quantity_not_met';
  /** Units needed for one application (buy plus get). */
  required: number;
} | {
  code: 'nothing_to_discount';
} | {
  code: 'superseded_by';
  /** That promotion's id. */
  promotion: string;
} | {
  code: 'not_combinable_with';
  /** That promotion's id. */
  promotion: string;
};

/** Amounts keyed by currency: { "USD": "5.00", "JPY": "700" }. */
export type PerCurrency = Record<string, Decimal>;

/** A price list: prices for some SKUs, for one currency, optionally restricted to a customer group and a validity window. */
export interface PriceList {
  /** The currency of the list; lists in other currencies are ignored. */
  currency: CurrencyCode;
  /** The customer group the list is for; `None` means everyone. */
  customer_group?: string | null;
  ends_at?: Timestamp | null;
  /** The list's id, unique within the request. */
  id: string;
  /** The list's prices. */
  prices: PriceListEntry[];
  starts_at?: Timestamp | null;
}

/** One price in a [`PriceList`]. */
export interface PriceListEntry {
  /** The smallest line quantity at which it applies (default 1). */
  min_quantity?: number;
  /** The SKU this price is for. */
  sku: string;
  /** The unit price. */
  unit_price: Decimal;
}

/** Where a line's unit price came from. */
export type PriceSource = {
  type: 'base';
} | {
  /** The tier's minimum quantity. */
  min_quantity: number;
  type: 'tier';
} | {
  /** The entry's minimum quantity. */
  min_quantity: number;
  /** The list's id. */
  price_list: string;
  type: 'price_list';
};

/** A unit price that applies from `min_quantity` units on. */
export interface PriceTier {
  /** The smallest line quantity at which this price applies. */
  min_quantity: number;
  /** The unit price. */
  unit_price: Decimal;
}

/** Everything besides the cart that pricing needs: time, customer, tax, promotions, shipping. */
export interface PricingContext {
  /** Who is buying. */
  customer?: CustomerContext;
  /** The instant of pricing. */
  now: Timestamp;
  /** Price lists that may apply. */
  price_lists?: PriceList[];
  /** Whether catalog prices include tax. */
  prices_include_tax?: boolean;
  /** The promotions to consider. */
  promotions?: Promotion[];
  /** The rounding mode. */
  rounding_mode?: RoundingMode;
  /** The shipping methods offered; the cart's chosen method must be one of them. */
  shipping_methods?: ShippingMethod[];
  /** Where tax is rounded. */
  tax_level?: TaxLevel;
  /** The tax rates at the destination. */
  tax_rates?: TaxRate[];
}

/** A self-contained request to price a cart: the input of [`quote`](crate::pricing::quote). */
export interface PricingRequest {
  /** The coupon codes the customer entered (matched without regard to case or surrounding spaces). */
  coupon_codes?: string[];
  /** The currency of every amount in the request and the quote. */
  currency: CurrencyCode;
  /** Who is buying, for group prices and promotion conditions. */
  customer?: CustomerContext;
  /** The cart lines. Line ids must be unique. */
  lines: LineInput[];
  /** The instant at which validity windows are judged. The engine never reads a clock. */
  now: Timestamp;
  /** Price lists that may lower a line's unit price. */
  price_lists?: PriceList[];
  /** Whether unit prices, fixed discounts, thresholds and shipping rates include tax (gross, as in most of Europe) or exclude it (net, as in most of North America). */
  prices_include_tax?: boolean;
  /** Promotions to consider, automatic and coupon-based. */
  promotions?: Promotion[];
  /** The rounding mode of every rounding step. Default: half-even. */
  rounding_mode?: RoundingMode;
  shipping?: ShippingMethod | null;
  /** Whether tax is rounded per line (the default) or per unit. */
  tax_level?: TaxLevel;
  /** The tax rates that apply at the destination. */
  tax_rates?: TaxRate[];
}

/** A promotion: what it gives, on what conditions, and how it stacks with others. */
export interface Promotion {
  /** What the promotion gives. */
  benefit: Benefit;
  /** Which kinds of promotion this one may be combined with. */
  combines_with?: CombinesWith;
  /** What must hold for it to apply. */
  conditions?: Conditions;
  /** Codes that unlock it; empty means automatic. */
  coupon_codes?: string[];
  ends_at?: Timestamp | null;
  /** Applies only alone: not after any other promotion, and none after it. */
  exclusive?: boolean;
  /** The promotion's id, unique within the request. */
  id: string;
  /** The most this promotion may discount, per currency; empty means no cap. */
  max_discount?: PerCurrency;
  /** A display name. */
  name?: string | null;
  /** Evaluation order: lower first; equal priorities go by id. */
  priority?: number;
  /** Uses left, as counted by the store; `Some(0)` means used up, `None` unlimited. */
  remaining_uses?: number | null;
  starts_at?: Timestamp | null;
  /** No promotion after this one is considered once it applies. */
  stop_further?: boolean;
}

/** What happened to one promotion. */
export type PromotionOutcome = {
  /** How the amount was spread over lines (lines with a zero share are omitted). */
  allocations: Allocation[];
  /** The total it discounted. */
  amount: Decimal;
  /** The promotion's id. */
  id: string;
  /** The part of the amount taken off shipping. */
  shipping_amount: Decimal;
  status: 'applied';
} | {
  /** The promotion's id. */
  id: string;
  /** Why not. */
  reason: NotAppliedReason;
  status: 'not_applied';
};

/** A shipping amount from a total quantity on. */
export interface QuantityTier {
  /** The amount. */
  amount: Decimal;
  /** The smallest total quantity for this amount; the first tier must start at 0. */
  min_quantity: number;
}

/** A priced cart. */
export interface Quote {
  /** One entry per distinct coupon code entered, in the order entered. */
  coupon_codes: CouponOutcome[];
  /** The currency of every amount. */
  currency: CurrencyCode;
  /** One entry per request line, in request order. */
  lines: QuoteLine[];
  /** Whether line subtotals and discounts are gross (tax included) or net. */
  prices_include_tax: boolean;
  /** One entry per promotion in the request, in evaluation order. */
  promotions: PromotionOutcome[];
  shipping: QuoteShipping | null;
  /** Tax per rate, in the order of the request's rates; rates that taxed nothing are omitted. */
  taxes: TaxSummary[];
  /** The order totals. */
  totals: Totals;
}

/** A priced line. */
export interface QuoteLine {
  /** The sum of `discounts`. */
  discount_total: Decimal;
  /** The discounts on this line, one per promotion, in evaluation order. */
  discounts: LineDiscount[];
  /** The line's id. */
  id: string;
  /** The amount excluding tax, after discounts. */
  net_total: Decimal;
  /** Where the unit price came from. */
  price_source: PriceSource;
  /** The quantity. */
  quantity: number;
  /** The SKU. */
  sku: string;
  /** `unit_price × quantity`. */
  subtotal: Decimal;
  /** The tax lines, one per rate that covers the line's category. */
  tax_lines: TaxLine[];
  /** The sum of `tax_lines`. */
  tax_total: Decimal;
  /** What the customer pays for the line: `net_total + tax_total`. */
  total: Decimal;
  /** The unit price used (after price resolution). */
  unit_price: Decimal;
}

/** The priced shipping charge. */
export interface QuoteShipping {
  /** The sum of `discounts`. */
  discount_total: Decimal;
  /** Shipping discounts, one per promotion. */
  discounts: LineDiscount[];
  /** True when the merchandise total reached the method's `free_above` threshold. */
  free_above_threshold: boolean;
  /** The method's id. */
  method: string;
  /** The charge excluding tax, after discounts. */
  net_total: Decimal;
  /** The method's rate for this cart. */
  rate_amount: Decimal;
  /** The charge before promotions: `rate_amount`, or 0 above the threshold. */
  subtotal: Decimal;
  /** Tax lines on shipping. */
  tax_lines: TaxLine[];
  /** The sum of `tax_lines`. */
  tax_total: Decimal;
  /** What the customer pays for shipping: `net_total + tax_total`. */
  total: Decimal;
}

/** How a value that falls between two minor units is rounded. */
export type RoundingMode = 'half_even' | 'half_up' | 'half_down' | 'up' | 'down' | 'ceiling' | 'floor';

/** How shipping is priced. */
export interface ShippingMethod {
  free_above?: Decimal | null;
  /** The method's id. */
  id: string;
  /** The rate. */
  rate: ShippingRate;
  /** The tax category of shipping; `None` means shipping is not taxed. */
  tax_category?: string | null;
}

/** A shipping rate. */
export type ShippingRate = {
  /** One amount whatever the cart. */
  flat: {
    /** The amount. */
    amount: Decimal;
  };
} | {
  /** An amount by total weight: the tier with the largest `min_weight` not above the cart's. */
  weight_tiers: WeightTier[];
} | {
  /** An amount by total quantity: the tier with the largest `min_quantity` not above the cart's. */
  quantity_tiers: QuantityTier[];
};

/** What a percentage or fixed-amount promotion discounts. */
export type Target = 'order' | {
  /** The lines matched by the selector. */
  lines: LineSelector;
} | 'shipping';

/** Where tax is rounded. */
export type TaxLevel = 'line' | 'unit';

/** Tax of one rate on one line or on shipping. */
export interface TaxLine {
  /** The tax. */
  amount: Decimal;
  /** The rate as a fraction. */
  rate: Decimal;
  /** The rate's id. */
  tax_rate: string;
}

/** A tax rate at the destination, applying to one or more tax categories. */
export interface TaxRate {
  /** The tax categories the rate applies to. */
  categories: string[];
  /** The rate's id, unique within the request. */
  id: string;
  /** A display name, such as `"VAT 20%"`. */
  name?: string | null;
  /** The rate as a fraction: `"0.20"` for 20 %. Between 0 and 10, at most 9 decimals. */
  rate: Decimal;
}

/** Tax of one rate over the whole order. */
export interface TaxSummary {
  /** The tax. */
  amount: Decimal;
  /** The rate's name, if given. */
  name: string | null;
  /** The rate as a fraction. */
  rate: Decimal;
  /** The rate's id. */
  tax_rate: string;
  /** The net amount the rate was charged on. */
  taxable_amount: Decimal;
}

/** An RFC 3339 instant: "2026-11-22T09:30:00Z". */
export type Timestamp = string;

/** The order totals. */
export interface Totals {
  /** Σ discounts on lines and shipping. */
  discount_total: Decimal;
  /** What the customer pays. */
  grand_total: Decimal;
  /** Σ net amounts of lines and shipping. */
  net_total: Decimal;
  /** The shipping charge including its tax (`shipping.total`). */
  shipping_total: Decimal;
  /** Σ line subtotals (before discounts; gross or net as the prices are). */
  subtotal: Decimal;
  /** Σ tax. */
  tax_total: Decimal;
}

/** A shipping amount from a total weight on. */
export interface WeightTier {
  /** The amount. */
  amount: Decimal;
  /** The smallest total weight for this amount; the first tier must start at 0. */
  min_weight: Decimal;
}
