// The storefront: the server keeps the cart; the browser prices it with the WebAssembly module
// from the exact pricing request the server uses, so the totals shown are the totals charged.
import { load, quoteSync } from './pkg/index.mjs';

const $ = (id) => document.getElementById(id);
let cartId = null;
let browserTotal = null;

async function api(method, path, body, headers = {}) {
  const response = await fetch(path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(`${data.code}: ${data.detail}`);
  return data;
}

function show(error) {
  $('error').textContent = error ? String(error.message ?? error) : '';
}

async function refresh() {
  const request = await api('GET', `/v1/carts/${cartId}/pricing-request`);
  const quote = quoteSync(request); // the browser's own pricing
  const lines = $('lines');
  lines.replaceChildren(
    ...quote.lines.map((line) => {
      const row = document.createElement('tr');
      row.innerHTML = `<td>${line.sku} × ${line.quantity}</td><td class="amount">${line.total}</td>`;
      return row;
    }),
  );
  const t = quote.totals;
  $('browser-subtotal').textContent = t.subtotal;
  $('browser-discounts').textContent = `−${t.discount_total}`;
  $('browser-shipping').textContent = t.shipping_total;
  $('browser-tax').textContent = t.tax_total;
  $('browser-total').textContent = `${t.grand_total} ${quote.currency}`;
  $('promotions').textContent = quote.promotions
    .filter((p) => p.status === 'applied')
    .map((p) => `${p.id}: −${p.amount}`)
    .join(', ');
  browserTotal = t.grand_total;
  $('checkout').disabled = quote.lines.length === 0;
}

async function add(sku) {
  try {
    await api('POST', `/v1/carts/${cartId}/lines`, { sku, quantity: 1 });
    await refresh();
    show(null);
  } catch (error) {
    show(error);
  }
}

async function main() {
  await load('/shop/pkg/web/commerce_wasm_bg.wasm');
  const cart = await api('POST', '/v1/carts', { currency: 'USD' });
  cartId = cart.id;
  await api('PUT', `/v1/carts/${cartId}/shipping`, { country: 'US', region: 'CA', method: 'standard' });
  const products = await api('GET', '/v1/products?limit=50');
  const list = $('products');
  list.replaceChildren(
    ...products.items.map((product) => {
      const div = document.createElement('div');
      div.className = 'product';
      div.innerHTML = `<b>${product.name}</b><br>`;
      for (const variant of product.variants) {
        const price = variant.prices.find((p) => p.price_list === 'default');
        const options = Object.values(variant.options).join(' ');
        const button = document.createElement('button');
        button.dataset.sku = variant.sku;
        button.textContent = `Add ${options || variant.sku} (${price.amount.amount})`;
        button.addEventListener('click', () => add(variant.sku));
        div.append(button);
      }
      return div;
    }),
  );
  $('apply-coupon').addEventListener('click', async () => {
    try {
      await api('POST', `/v1/carts/${cartId}/coupons`, { code: $('coupon').value });
      await refresh();
      show(null);
    } catch (error) {
      show(error);
    }
  });
  $('shipping').addEventListener('change', async () => {
    await api('PUT', `/v1/carts/${cartId}/shipping`, { country: 'US', region: 'CA', method: $('shipping').value });
    await refresh();
  });
  $('checkout').addEventListener('click', async () => {
    try {
      const key = `storefront-${cartId}`;
      const placed = await api('POST', `/v1/carts/${cartId}/checkout`, { payment_method: 'tok_visa' }, { 'Idempotency-Key': key });
      const serverTotal = placed.order.quote.totals.grand_total;
      $('order').hidden = false;
      $('order-id').textContent = placed.order.id;
      $('order-status').textContent = placed.order.status;
      $('server-total').textContent = `${serverTotal} ${placed.order.currency}`;
      const same = serverTotal === browserTotal;
      $('comparison').className = same ? 'match' : 'mismatch';
      $('comparison').textContent = same
        ? 'The browser and the server agree to the cent.'
        : `Mismatch: browser ${browserTotal}, server ${serverTotal}`;
      $('checkout').disabled = true;
    } catch (error) {
      show(error);
    }
  });
  await refresh();
  document.body.dataset.ready = 'true';
}

main().catch(show);
