// The storefront: the server keeps the cart; the browser prices it with the WebAssembly module
// from the exact pricing request the server uses, so the totals shown are the totals charged.
// Whatever the shop's data holds (names, descriptions, codes) is put on the page as text, never
// as markup; the page's content-security policy refuses inline script besides.
// Imported when the page starts, so that a missing package is reported on the page.
let quoteSync;

const $ = (id) => document.getElementById(id);

// An element with its text (never parsed as HTML) and its class.
function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}
let cartId = null;
let browserTotal = null;

async function api(method, path, body, headers = {}) {
  const response = await fetch(path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) {
    const field = data.errors?.[0]?.field;
    throw new Error(`${data.code}: ${data.detail}${field ? ` (${field})` : ''}`);
  }
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
      const row = element('tr');
      row.append(element('td', `${line.sku} × ${line.quantity}`), element('td', line.total, 'amount'));
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

async function loadPricing() {
  try {
    const pricing = await import('./pkg/index.mjs');
    await pricing.load('/shop/pkg/web/commerce_wasm_bg.wasm');
    quoteSync = pricing.quoteSync;
  } catch (error) {
    $('products').textContent = '';
    throw new Error(
      `The pricing module did not load (${error.message ?? error}). The server serves it from the ` +
        'WebAssembly package: build it with scripts/build-wasm, or start the server with ' +
        'COMMERCE_WASM_DIR set to the package directory (the one holding web/commerce_wasm_bg.wasm).',
    );
  }
}

function showProducts(products) {
  const list = $('products');
  if (products.length === 0) {
    list.replaceChildren(element('p', 'Nothing matches.', 'empty'));
    return;
  }
  list.replaceChildren(
    ...products.map((product) => {
      const div = element('div', undefined, 'product');
      div.dataset.product = product.id;
      div.append(element('h3', product.name, 'name'));
      if (product.description) div.append(element('p', product.description, 'description'));
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
}

async function main() {
  await loadPricing();
  const cart = await api('POST', '/v1/carts', { currency: 'USD' });
  cartId = cart.id;
  await api('PUT', `/v1/carts/${cartId}/shipping`, { country: 'US', region: 'CA', method: 'standard' });
  const products = await api('GET', '/v1/products?limit=50');
  showProducts(products.items);
  // The search box: the server's search (typos, plurals, as you type), its suggestions below.
  let typed = 0;
  $('search').addEventListener('input', async () => {
    const text = $('search').value;
    const mine = ++typed;
    try {
      const q = encodeURIComponent(text);
      const [found, offered] = await Promise.all([
        api('GET', `/v1/search?q=${q}&currency=USD&limit=50`),
        api('GET', `/v1/search/suggestions?q=${q}&currency=USD`),
      ]);
      if (mine !== typed) return; // a later keystroke's answer wins
      showProducts(found.items.map((item) => item.product));
      $('suggestions').replaceChildren(
        ...offered.map((suggestion) => {
          const option = element('option');
          option.value = suggestion.name;
          return option;
        }),
      );
      show(null);
    } catch (error) {
      show(error);
    }
  });
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
      // Where the order ships prices it: the region the shipping choice above quotes.
      const order = {
        payment_method: 'tok_visa',
        email: $('email').value,
        shipping_address: {
          name: $('ship-name').value,
          line1: $('ship-line1').value,
          city: $('ship-city').value,
          postal_code: $('ship-postal-code').value,
          region: 'CA',
          country: 'US',
        },
      };
      const placed = await api('POST', `/v1/carts/${cartId}/checkout`, order, { 'Idempotency-Key': key });
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
