// The storefront in a real headless Chromium: add products, apply a coupon, check out, and the
// totals computed in the browser by the WebAssembly module equal the server's order totals.
// Keeps a screenshot in target/test-logs/storefront.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const root = new URL('../../', import.meta.url).pathname;
const server = process.env.COMMERCE_SERVER_BIN ?? join(root, 'target/debug/commerce-server');
const port = 18000 + (process.pid % 1000);
const base = `http://127.0.0.1:${port}`;

async function waitFor(url, tries = 100) {
  for (let i = 0; i < tries; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered`);
}

test('the browser prices the cart exactly as the server charges it', async () => {
  const db = join(tmpdir(), `storefront-${process.pid}.db`);
  rmSync(db, { force: true });
  const child = spawn(server, ['serve', '--demo', '--database-url', `sqlite://${db}`, '--bind', `127.0.0.1:${port}`], {
    stdio: 'inherit',
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await waitFor(`${base}/healthz`);
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/shop/`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
    for (const sku of ['TEE-M', 'TEE-M', 'TEE-L', 'MUG-BLUE', 'COFFEE-250']) {
      const before = await page.textContent('#browser-total');
      await page.click(`button[data-sku="${sku}"]`);
      await page.waitForFunction((t) => document.getElementById('browser-total').textContent !== t, before);
    }
    const beforeCoupon = await page.textContent('#browser-total');
    await page.fill('#coupon', 'welcome10');
    await page.click('#apply-coupon');
    await page.waitForFunction((t) => document.getElementById('browser-total').textContent !== t, beforeCoupon);
    const promotions = await page.textContent('#promotions');
    assert.match(promotions, /welcome-10/);
    assert.match(promotions, /three-tees/);
    const browserTotal = (await page.textContent('#browser-total')).trim();
    await page.click('#checkout');
    await page.waitForSelector('#order:not([hidden])');
    const serverTotal = (await page.textContent('#server-total')).trim();
    assert.equal(await page.textContent('#order-status'), 'confirmed');
    assert.equal(browserTotal, serverTotal, 'in-browser totals equal the server order totals');
    assert.match(await page.textContent('#comparison'), /agree to the cent/);
    assert.deepEqual(errors, []);
    mkdirSync(join(root, 'target/test-logs'), { recursive: true });
    await page.screenshot({ path: join(root, 'target/test-logs/storefront.png'), fullPage: true });
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    rmSync(db, { force: true });
  }
});
