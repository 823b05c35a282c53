// The storefront in a real headless Chromium: add products, apply a coupon, check out, and the
// totals computed in the browser by the WebAssembly module equal the server's order totals;
// hostile names, descriptions and coupon codes render as inert text under the pages'
// content-security policy. Keeps a screenshot in target/test-logs/storefront.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
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

const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// A page that records uncaught errors and console errors (a policy violation is one).
async function watchedPage(browser) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('dialog', (d) => {
    errors.push(`a dialog opened: ${d.message()}`);
    d.dismiss();
  });
  return { page, errors };
}

test('the browser prices the cart exactly as the server charges it', async () => {
  const db = join(tmpdir(), `storefront-${process.pid}.db`);
  rmSync(db, { force: true });
  const child = spawn(server, ['serve', '--demo', '--database-url', `sqlite://${db}`, '--bind', `127.0.0.1:${port}`], {
    stdio: 'inherit',
  });
  const browser = await launch();
  try {
    await waitFor(`${base}/healthz`);
    const { page, errors } = await watchedPage(browser);
    await page.goto(`${base}/shop/`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
    // The search box finds with a typo, offers suggestions, and gives the list back when cleared.
    await page.fill('#search', 'enamle');
    await page.waitForFunction(() => document.querySelectorAll('#products [data-product]').length === 1);
    assert.equal(await page.getAttribute('#products [data-product]', 'data-product'), 'enamel-mug');
    await page.waitForFunction(() => document.querySelectorAll('#suggestions option').length === 1);
    assert.equal(await page.getAttribute('#suggestions option', 'value'), 'Enamel mug');
    await page.fill('#search', 'zzzz');
    await page.waitForSelector('#products .empty');
    await page.fill('#search', '');
    await page.waitForFunction(() => document.querySelectorAll('#products [data-product]').length > 1);
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
    // Without somewhere to ship to, the order is refused, saying what is missing.
    await page.click('#checkout');
    await page.waitForFunction(() => document.getElementById('error').textContent !== '');
    assert.match(await page.textContent('#error'), /invalid_input: .*\(email\)/);
    await page.fill('#email', 'shopper@example.com');
    await page.fill('#ship-name', 'Grace Hopper');
    await page.fill('#ship-line1', '1 Main St');
    await page.fill('#ship-city', 'Springfield');
    await page.fill('#ship-postal-code', '94016');
    await page.click('#checkout');
    await page.waitForSelector('#order:not([hidden])');
    const serverTotal = (await page.textContent('#server-total')).trim();
    assert.equal(await page.textContent('#order-status'), 'confirmed');
    assert.equal(browserTotal, serverTotal, 'in-browser totals equal the server order totals');
    assert.match(await page.textContent('#comparison'), /agree to the cent/);
    assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), []);
    mkdirSync(join(root, 'target/test-logs'), { recursive: true });
    await page.screenshot({ path: join(root, 'target/test-logs/storefront.png'), fullPage: true });
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    rmSync(db, { force: true });
  }
});

// What a hostile admin, or a compromised catalog feed, could save: markup that runs if a page
// ever parses data as HTML.
const hostile = (tag) => [
  `<img src=x onerror="window.__xss='${tag}'">`,
  `<script>window.__xss='${tag}'</script>`,
  `"><svg onload="window.__xss='${tag}'">`,
].join(' ');

test('hostile names, descriptions and coupon codes render as text, under a strict policy', async () => {
  const db = join(tmpdir(), `storefront-hostile-${process.pid}.db`);
  rmSync(db, { force: true });
  const key = execFileSync(server, ['admin', 'create-key', '--database-url', `sqlite://${db}`], {
    encoding: 'utf8',
  }).trim();
  const hostilePort = port + 1;
  const hostileBase = `http://127.0.0.1:${hostilePort}`;
  const child = spawn(server, ['serve', '--demo', '--database-url', `sqlite://${db}`, '--bind', `127.0.0.1:${hostilePort}`], {
    stdio: 'inherit',
  });
  const browser = await launch();
  try {
    await waitFor(`${hostileBase}/healthz`);
    const admin = async (method, path, body) => {
      const response = await fetch(`${hostileBase}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      });
      assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.text()}`);
    };
    const name = hostile('name');
    const description = hostile('description');
    const code = `<img src=x onerror="window.__xss='coupon'">`;
    await admin('POST', '/v1/products', {
      id: 'hostile', name, description, status: 'active', category_ids: [], tax_category: 'standard',
      variants: [{ sku: 'HOSTILE', options: {}, weight: null, prices: [
        { price_list: 'default', amount: { amount: '5.00', currency: 'USD' }, tiers: [] }] }],
    });
    await admin('POST', '/v1/promotions', {
      id: 'hostile-coupon', coupon_codes: [code],
      benefit: { percentage_off: { percent: '5', target: 'order' } },
    });
    for (const path of ['/shop/', '/docs']) {
      const policy = (await fetch(`${hostileBase}${path}`)).headers.get('content-security-policy') ?? '';
      assert.match(policy, /default-src 'none'/, `${path} has a strict policy`);
      assert.doesNotMatch(policy, /unsafe-inline|'unsafe-eval'/, `${path} allows no inline script or eval`);
    }

    const { page, errors } = await watchedPage(browser);
    await page.goto(`${hostileBase}/shop/`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
    const card = page.locator('.product', { has: page.locator('button[data-sku="HOSTILE"]') });
    assert.equal(await card.locator('.name').textContent(), name, 'the name is shown as it was saved');
    assert.equal(await card.locator('.description').textContent(), description);
    assert.equal(await page.locator('#products img, #products script, #products svg').count(), 0,
      'no element was made from the data');
    const before = await page.textContent('#browser-total');
    await page.click('button[data-sku="HOSTILE"]');
    await page.waitForFunction((t) => document.getElementById('browser-total').textContent !== t, before);
    // The hostile code, applied or refused, comes back as text either way.
    await page.fill('#coupon', code);
    await page.click('#apply-coupon');
    await page.waitForFunction(() => document.getElementById('error').textContent !== ''
      || document.getElementById('promotions').textContent.includes('hostile-coupon'));
    assert.equal(await page.locator('#promotions *').count(), 0);
    assert.equal(await page.locator('#error *').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined, 'no hostile script ran');
    assert.deepEqual(errors.filter((e) => !/status of 422/.test(e)), []);

    // The API page under its own policy, with each operation labelled by what it needs.
    const docs = await watchedPage(browser);
    await docs.page.goto(`${hostileBase}/docs`);
    await docs.page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
    const tagOf = (method, path) => docs.page.evaluate(([method, path]) => {
      const op = [...document.querySelectorAll('.op')].find((o) =>
        o.querySelector('.method').textContent === method && o.querySelector('code').textContent === path);
      return op?.querySelector('.tag')?.textContent ?? null;
    }, [method, path]);
    assert.equal(await tagOf('get', '/v1/products'), null, 'a public operation needs nothing');
    assert.equal(await tagOf('post', '/v1/products'), 'admin key');
    assert.equal(await tagOf('get', '/v1/customers/me'), 'customer session');
    assert.deepEqual(docs.errors, []);
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    rmSync(db, { force: true });
  }
});

test('a storefront without its pricing module says so, instead of loading forever', async () => {
  const db = join(tmpdir(), `storefront-nowasm-${process.pid}.db`);
  rmSync(db, { force: true });
  const bare = port + 2;
  const child = spawn(server, ['serve', '--demo', '--database-url', `sqlite://${db}`, '--bind', `127.0.0.1:${bare}`,
    '--wasm-dir', join(tmpdir(), 'no-such-package')], { stdio: 'inherit' });
  const browser = await launch();
  try {
    await waitFor(`http://127.0.0.1:${bare}/healthz`);
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${bare}/shop/`);
    await page.waitForFunction(() => document.getElementById('error').textContent !== '', null, { timeout: 20000 });
    assert.match(await page.textContent('#error'), /pricing module did not load.*scripts\/build-wasm/);
    assert.doesNotMatch(await page.textContent('#products'), /Loading/);
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    rmSync(db, { force: true });
  }
});
