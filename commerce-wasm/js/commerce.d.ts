// The JavaScript API of the commerce pricing engine. The types of every request and quote
// field are generated from the Rust types (types.d.ts, by commerce-wasm/tests/typescript_types.rs);
// `tsc` checks them against every shared pricing case in testdata/pricing. Amounts, rates and
// percentages are decimal strings, never numbers.

import type {
  CartJson,
  CatalogItem,
  CurrencyCode,
  PricingContext,
  PricingRequest,
  Quote,
  Totals,
} from './types';

export * from './types';

/** An error from the engine, with the core's stable code and the field it is about. */
export declare class CommerceError extends Error {
  readonly code: string;
  readonly field: string | null;
}

/** Prices a request; the promise rejects with a CommerceError. */
export declare function quote(request: PricingRequest): Promise<Quote>;
/** Prices a request synchronously; throws a CommerceError. */
export declare function quoteSync(request: PricingRequest): Quote;
/**
 * Prices a request and returns only its totals (the quote's totals, without the explanation);
 * the promise rejects with a CommerceError.
 */
export declare function quoteTotals(request: PricingRequest): Promise<Totals>;
/** Prices a request and returns only its totals, synchronously; throws a CommerceError. */
export declare function quoteTotalsSync(request: PricingRequest): Totals;
/** The library version. */
export declare function version(): string;
/** Browsers (the ES module build): loads the WebAssembly module first. */
export declare function load(source?: string | URL | ArrayBuffer | Response): Promise<void>;

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
