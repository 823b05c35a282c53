// The typed API over the WebAssembly module (CommonJS, Node). Amounts are decimal strings.
'use strict';
const wasm = require('./nodejs/commerce_wasm.js');

/** An error from the engine: `code` is the core's stable code, `field` the input it is about. */
class CommerceError extends Error {
  constructor(source) {
    super(source.message);
    this.name = 'CommerceError';
    this.code = source.code;
    this.field = source.field ?? null;
  }
}

function call(fn) {
  try {
    return fn();
  } catch (error) {
    throw new CommerceError(error);
  }
}

/** Prices a request synchronously; throws a CommerceError. */
function quoteSync(request) {
  return JSON.parse(call(() => wasm.quoteJson(JSON.stringify(request))));
}

/** Prices a request; the promise rejects with a CommerceError. */
async function quote(request) {
  return quoteSync(request);
}

/** Prices a request and returns only its totals, synchronously; throws a CommerceError. */
function quoteTotalsSync(request) {
  return JSON.parse(call(() => wasm.quoteTotalsJson(JSON.stringify(request))));
}

/** Prices a request and returns only its totals; the promise rejects with a CommerceError. */
async function quoteTotals(request) {
  return quoteTotalsSync(request);
}

/** A cart: lines merged by SKU and options, coupon codes, a shipping method; no prices. */
class Cart {
  constructor(currency) {
    this.inner = call(() => new wasm.WasmCart(currency));
  }
  static fromJSON(json) {
    const cart = Object.create(Cart.prototype);
    cart.inner = call(() => wasm.WasmCart.fromJson(JSON.stringify(json)));
    return cart;
  }
  toJSON() {
    return JSON.parse(this.inner.toJson());
  }
  addItem(item, quantity, options = {}) {
    return call(() => this.inner.addItem(JSON.stringify(item), JSON.stringify(options), quantity));
  }
  setQuantity(lineId, quantity) {
    call(() => this.inner.setQuantity(lineId, quantity));
  }
  removeLine(lineId) {
    call(() => this.inner.removeLine(lineId));
  }
  applyCoupon(code) {
    call(() => this.inner.applyCoupon(code));
  }
  removeCoupon(code) {
    return this.inner.removeCoupon(code);
  }
  setShippingMethod(method) {
    this.inner.setShippingMethod(method ?? '');
  }
  pricingRequest(catalog, context) {
    return JSON.parse(call(() => this.inner.pricingRequest(JSON.stringify(catalog), JSON.stringify(context))));
  }
  async quote(catalog, context) {
    return JSON.parse(call(() => this.inner.quote(JSON.stringify(catalog), JSON.stringify(context))));
  }
}

/**
 * Loads the module: in Node it is loaded with this file, so this does nothing; it is here so
 * that code written for browsers (`await load()` before the first synchronous call) runs
 * unchanged.
 */
async function load() {}

module.exports = { load, quote, quoteSync, quoteTotals, quoteTotalsSync, Cart, CommerceError, version: wasm.version };
