// Writes type-check.ts: every shared case whose request is valid, checked with `satisfies`
// against the declared types, so that `tsc --noEmit` fails if the types drift from the JSON.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const dir = new URL('../../testdata/pricing/', import.meta.url);
const lines = [
  "import type { PricingRequest, Quote, Totals } from '../pkg/index.js';",
  "import { quoteTotals, quoteTotalsSync } from '../pkg/index.js';",
  'type DeepPartial<T> = T extends (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;',
  '',
];
let n = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const c = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
  if (c.expected_error?.code === 'invalid_request') continue; // deliberately malformed
  lines.push(`// ${file}`);
  lines.push(`export const request${n} = ${JSON.stringify(c.request)} satisfies PricingRequest;`);
  if (c.expected) lines.push(`export const expected${n} = ${JSON.stringify(c.expected)} satisfies DeepPartial<Quote>;`);
  n += 1;
}
// The totals-only entry points take a request and give the quote's Totals.
lines.push('export const totals: Totals = quoteTotalsSync(request0);');
lines.push('export const totalsLater: Promise<Totals> = quoteTotals(request0);');
writeFileSync(new URL('./type-check.ts', import.meta.url), lines.join('\n') + '\n');
console.log(`type-check.ts: ${n} cases`);
