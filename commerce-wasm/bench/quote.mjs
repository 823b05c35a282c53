// Quotes a 100-line cart (shape (a) of benches/pricing.rs: one 10 % order promotion, one 20 % tax
// rate, the same lines) through the WebAssembly module under Node, JSON in and out, and prints
// microseconds per quote. scripts/bench-wasm prints it beside the native figure.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { quoteSync } = require('../pkg/index.js');

function cents(n) {
  return `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;
}
const lines = Array.from({ length: 100 }, (_, i) => ({
  id: `line-${String(i).padStart(5, '0')}`,
  sku: `SKU-${String(i).padStart(5, '0')}`,
  product_id: `P-${Math.floor(i / 2)}`,
  category_ids: [i % 3 === 0 ? 'sale' : 'regular'],
  quantity: 1 + (i % 4),
  unit_price: cents(199 + ((i * 37) % 5000)),
  tax_category: 'standard',
}));
const request = {
  currency: 'USD',
  now: '2026-09-21T10:13:20Z',
  lines,
  tax_rates: [{ id: 'vat', rate: '0.20', categories: ['standard'] }],
  promotions: [{ id: 'ten-percent', benefit: { percentage_off: { percent: '10', target: 'order' } } }],
};
for (let i = 0; i < 300; i++) quoteSync(request); // warm up
const rounds = 3000;
const start = process.hrtime.bigint();
for (let i = 0; i < rounds; i++) quoteSync(request);
const micros = Number(process.hrtime.bigint() - start) / 1000 / rounds;
console.log(`wasm (Node ${process.version}), 100 lines, JSON in and out: ${micros.toFixed(1)} µs per quote`);
