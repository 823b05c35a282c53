// The cart helpers through the WebAssembly module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Cart, CommerceError, quoteSync, version } = require('../pkg/index.js');

const mug = {
  sku: 'MUG',
  product_id: 'mug',
  category_ids: [],
  unit_price: { amount: '3.33', currency: 'USD' },
  tiers: [],
  tax_category: 'standard',
};
const context = {
  now: '2026-11-22T12:00:00Z',
  tax_rates: [{ id: 'vat', rate: '0.20', categories: ['standard'] }],
  promotions: [
    {
      id: 'one-off',
      benefit: { fixed_amount_off: { amounts: { USD: '1.00' }, target: 'order' } },
      coupon_codes: ['ONE'],
    },
  ],
};

test('lines merge, coupons normalise, and the quote matches the Rust engine', async () => {
  const cart = new Cart('USD');
  const line = cart.addItem(mug, 2);
  assert.equal(cart.addItem(mug, 1), line, 'the same SKU and options merge into one line');
  cart.applyCoupon(' one ');
  assert.deepEqual(cart.toJSON().coupon_codes, ['ONE']);
  const quote = await cart.quote([mug], context);
  assert.equal(quote.totals.grand_total, '10.79');
  assert.equal(typeof quote.totals.grand_total, 'string', 'money is never a JS number');
  const restored = Cart.fromJSON(cart.toJSON());
  assert.deepEqual(restored.toJSON(), cart.toJSON());
});

test('errors carry the core stable code', async () => {
  const cart = new Cart('USD');
  assert.throws(() => cart.addItem(mug, 0), (e) => e instanceof CommerceError && e.code === 'quantity_out_of_range');
  assert.throws(() => cart.setQuantity('nope', 1), (e) => e.code === 'line_not_found');
  assert.throws(() => new Cart('XAU'), (e) => e.code === 'unknown_currency');
  cart.addItem(mug, 1);
  await assert.rejects(cart.quote([], context), (e) => e.code === 'unknown_sku');
  assert.throws(
    () => quoteSync({ currency: 'USD', now: '2026-01-01T00:00:00Z', lines: [{ id: 'a', sku: 'A', quantity: 1, unit_price: 19.99 }] }),
    (e) => e.code === 'invalid_request' && /decimal/.test(e.message),
  );
  assert.match(version(), /^\d+\.\d+\.\d+$/);
});
