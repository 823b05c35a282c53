// Every shared pricing case through the WebAssembly module: the same rule as the Rust runner
// (testdata/pricing/README.md), so the browser gives the server's totals to the minor unit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const commerce = require('../pkg/index.js');
const dir = new URL('../../testdata/pricing/', import.meta.url);

function mismatches(expected, actual, path, out) {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      out.push(`${path}: expected an object, got ${JSON.stringify(actual)}`);
      return;
    }
    for (const [key, value] of Object.entries(expected)) {
      if (!(key in actual)) out.push(`${path}.${key}: missing`);
      else mismatches(value, actual[key], `${path}.${key}`, out);
    }
  } else if (Array.isArray(expected) && Array.isArray(actual) && expected.length === actual.length) {
    expected.forEach((e, i) => mismatches(e, actual[i], `${path}[${i}]`, out));
  } else if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    out.push(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
assert.ok(files.length >= 60, 'the contract has at least 60 cases');

for (const file of files) {
  test(file, async () => {
    const c = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
    if (c.expected_error) {
      await assert.rejects(commerce.quote(c.request), (error) => {
        assert.ok(error instanceof commerce.CommerceError, 'a CommerceError');
        const out = [];
        mismatches(c.expected_error, { code: error.code, field: error.field }, 'error', out);
        assert.deepEqual(out, []);
        assert.ok(error.message.length > 0, 'a message');
        return true;
      });
      // The totals-only entry point refuses the request the same way.
      await assert.rejects(commerce.quoteTotals(c.request), (error) => {
        assert.ok(error instanceof commerce.CommerceError, 'a CommerceError');
        const out = [];
        mismatches(c.expected_error, { code: error.code, field: error.field }, 'error', out);
        assert.deepEqual(out, []);
        return true;
      });
    } else {
      const quote = await commerce.quote(c.request);
      const out = [];
      mismatches(c.expected, quote, 'quote', out);
      assert.deepEqual(out, []);
      // The totals-only entry point gives the quote's totals.
      assert.deepEqual(await commerce.quoteTotals(c.request), quote.totals);
    }
  });
}
