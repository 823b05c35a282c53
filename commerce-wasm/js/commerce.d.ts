// Types of the commerce pricing engine's JSON. They mirror the Rust types of `commerce-core`
// (pricing/request.rs and pricing/quote.rs) field for field; `tsc` checks them against every
// shared pricing case in testdata/pricing. Amounts, rates and percentages are decimal strings,
// never numbers.

/** A decimal number written as a string: "19.99", "0.20", "1000". */
export type Decimal = string;
/** An ISO 4217 code of an active currency: "USD", "JPY", "KWD". */
export type CurrencyCode = string;
/** An RFC 3339 instant: "2026-11-22T09:30:00Z". */
export type Timestamp = string;
/** Amounts keyed by currency: { "USD": "5.00", "JPY": "700" }. */
export type PerCurrency = Record<CurrencyCode, Decimal>;

export type RoundingMode = 'half_even' | 'half_up' | 'half_down' | 'up' | 'down' | 'ceiling' | 'floor';
export type TaxLevel = 'line' | 'unit';

export interface CustomerContext {
  group?: string | null;
  previous_orders?: number;
}

export interface PriceTier {
  min_quantity: number;
  unit_price: Decimal;
}

export interface LineInput {
  id: string;
  sku: string;
  product_id?: string | null;
  category_ids?: string[];
  quantity: number;
  unit_price: Decimal;
  tiers?: PriceTier[];
  tax_category?: string | null;
  weight?: Decimal | null;
}

export interface PriceListEntry {
  sku: string;
  min_quantity?: number;
  unit_price: Decimal;
}

export interface PriceList {
  id: string;
  currency: CurrencyCode;
  customer_group?: string | null;
  starts_at?: Timestamp | null;
  ends_at?: Timestamp | null;
  prices: PriceListEntry[];
}

export interface TaxRate {
  id: string;
  name?: string | null;
  rate: Decimal;
  categories: string[];
}

export interface WeightTier {
  min_weight: Decimal;
  amount: Decimal;
}

export interface QuantityTier {
  min_quantity: number;
  amount: Decimal;
}

export type ShippingRate =
  | { flat: { amount: Decimal } }
  | { weight_tiers: WeightTier[] }
  | { quantity_tiers: QuantityTier[] };

export interface ShippingMethod {
  id: string;
  rate: ShippingRate;
  free_above?: Decimal | null;
  tax_category?: string | null;
}

export interface LineSelector {
  skus?: string[];
  product_ids?: string[];
  category_ids?: string[];
}

export type Target = 'order' | 'shipping' | { lines: LineSelector };

export interface BuyGetItems {
  quantity: number;
  items?: LineSelector;
}

export type Benefit =
  | { percentage_off: { percent: Decimal; target: Target } }
  | { fixed_amount_off: { amounts: PerCurrency; target: Target } }
  | {
      buy_x_get_y: {
        buy: BuyGetItems;
        get: BuyGetItems;
        percent: Decimal;
        max_applications?: number | null;
      };
    }
  | 'free_shipping';

export interface Conditions {
  min_subtotal?: PerCurrency;
  min_quantity?: number | null;
  customer_groups?: string[];
  first_order?: boolean;
}

export interface CombinesWith {
  order?: boolean;
  lines?: boolean;
  shipping?: boolean;
}

export interface Promotion {
  id: string;
  name?: string | null;
  priority?: number;
  benefit: Benefit;
  conditions?: Conditions;
  coupon_codes?: string[];
  starts_at?: Timestamp | null;
  ends_at?: Timestamp | null;
  remaining_uses?: number | null;
  exclusive?: boolean;
  stop_further?: boolean;
  combines_with?: CombinesWith;
  max_discount?: PerCurrency;
}

/** Everything the engine needs to price a cart. Unknown fields are refused. */
export interface PricingRequest {
  currency: CurrencyCode;
  now: Timestamp;
  prices_include_tax?: boolean;
  tax_level?: TaxLevel;
  rounding_mode?: RoundingMode;
  customer?: CustomerContext;
  lines: LineInput[];
  price_lists?: PriceList[];
  tax_rates?: TaxRate[];
  promotions?: Promotion[];
  coupon_codes?: string[];
  shipping?: ShippingMethod | null;
}

export type PriceSource =
  | { type: 'base' }
  | { type: 'tier'; min_quantity: number }
  | { type: 'price_list'; price_list: string; min_quantity: number };

export interface LineDiscount {
  promotion: string;
  amount: Decimal;
}

export interface TaxLine {
  tax_rate: string;
  rate: Decimal;
  amount: Decimal;
}

export interface QuoteLine {
  id: string;
  sku: string;
  quantity: number;
  unit_price: Decimal;
  price_source: PriceSource;
  subtotal: Decimal;
  discounts: LineDiscount[];
  discount_total: Decimal;
  net_total: Decimal;
  tax_lines: TaxLine[];
  tax_total: Decimal;
  total: Decimal;
}

export interface QuoteShipping {
  method: string;
  rate_amount: Decimal;
  free_above_threshold: boolean;
  subtotal: Decimal;
  discounts: LineDiscount[];
  discount_total: Decimal;
  net_total: Decimal;
  tax_lines: TaxLine[];
  tax_total: Decimal;
  total: Decimal;
}

export type NotAppliedReason =
  | { code: 'currency_not_supported' }
  | { code: 'not_started' }
  | { code: 'expired' }
  | { code: 'usage_exhausted' }
  | { code: 'coupon_not_entered' }
  | { code: 'customer_group_not_eligible' }
  | { code: 'first_order_only' }
  | { code: 'min_subtotal_not_met'; threshold: Decimal }
  | { code: 'min_quantity_not_met'; threshold: number }
  | { code: 'no_eligible_lines' }
  | { code: 'shipping_not_selected' }
  | { code: 'buy_quantity_not_met'; required: number }
  | { code: 'nothing_to_discount' }
  | { code: 'superseded_by'; promotion: string }
  | { code: 'not_combinable_with'; promotion: string };

export interface Allocation {
  line: string;
  amount: Decimal;
}

export type PromotionOutcome =
  | { status: 'applied'; id: string; amount: Decimal; allocations: Allocation[]; shipping_amount: Decimal }
  | { status: 'not_applied'; id: string; reason: NotAppliedReason };

export interface CouponOutcome {
  code: string;
  status: 'applied' | 'not_applied' | 'unknown';
  promotions: string[];
}

export interface TaxSummary {
  tax_rate: string;
  name: string | null;
  rate: Decimal;
  taxable_amount: Decimal;
  amount: Decimal;
}

export interface Totals {
  subtotal: Decimal;
  discount_total: Decimal;
  shipping_total: Decimal;
  net_total: Decimal;
  tax_total: Decimal;
  grand_total: Decimal;
}

/** A priced cart: line totals plus shipping equal the grand total, exactly. */
export interface Quote {
  currency: CurrencyCode;
  prices_include_tax: boolean;
  lines: QuoteLine[];
  shipping: QuoteShipping | null;
  promotions: PromotionOutcome[];
  coupon_codes: CouponOutcome[];
  taxes: TaxSummary[];
  totals: Totals;
}

/** What the catalog says about a SKU. */
export interface CatalogItem {
  sku: string;
  product_id: string | null;
  category_ids: string[];
  unit_price: { amount: Decimal; currency: CurrencyCode };
  tiers: PriceTier[];
  tax_category: string | null;
  weight?: Decimal | null;
}

/** The rest of a pricing request, for pricing a cart. */
export interface PricingContext {
  now: Timestamp;
  prices_include_tax?: boolean;
  tax_level?: TaxLevel;
  rounding_mode?: RoundingMode;
  customer?: CustomerContext;
  price_lists?: PriceList[];
  tax_rates?: TaxRate[];
  promotions?: Promotion[];
  shipping_methods?: ShippingMethod[];
}

/** An error from the engine, with the core's stable code and the field it is about. */
export declare class CommerceError extends Error {
  readonly code: string;
  readonly field: string | null;
}

/** Prices a request; the promise rejects with a CommerceError. */
export declare function quote(request: PricingRequest): Promise<Quote>;
/** Prices a request synchronously; throws a CommerceError. */
export declare function quoteSync(request: PricingRequest): Quote;
/** The library version. */
export declare function version(): string;
/** Browsers (the ES module build): loads the WebAssembly module first. */
export declare function load(source?: string | URL | ArrayBuffer | Response): Promise<void>;

export interface CartLine {
  id: string;
  sku: string;
  options: Record<string, string>;
  quantity: number;
}

export interface CartJson {
  currency: CurrencyCode;
  lines: CartLine[];
  coupon_codes: string[];
  shipping_method: string | null;
  limits: { max_lines: number; max_quantity_per_line: number; max_coupon_codes: number };
  next_line: number;
}

/** A cart: lines merged by SKU and options, coupon codes, a shipping method; never prices. */
export declare class Cart {
  constructor(currency: CurrencyCode);
  static fromJSON(json: CartJson): Cart;
  toJSON(): CartJson;
  /** Adds units of a catalog item; returns the line id (lines merge by SKU and options). */
  addItem(item: CatalogItem, quantity: number, options?: Record<string, string>): string;
  setQuantity(lineId: string, quantity: number): void;
  removeLine(lineId: string): void;
  applyCoupon(code: string): void;
  removeCoupon(code: string): boolean;
  setShippingMethod(method: string | null): void;
  pricingRequest(catalog: CatalogItem[], context: PricingContext): PricingRequest;
  quote(catalog: CatalogItem[], context: PricingContext): Promise<Quote>;
}
