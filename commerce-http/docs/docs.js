// Renders the OpenAPI document served beside this page: no download, no build step. Every value
// taken from the document is escaped before it becomes markup.
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const schemeNames = { adminKey: 'admin key', customerSession: 'customer session' };

// What an operation needs, from its security requirements: an empty list, or an empty
// requirement among them, means anyone may call it.
function access(requirements) {
  if (!Array.isArray(requirements) || requirements.length === 0) return '';
  if (requirements.some((r) => Object.keys(r).length === 0)) return '';
  return requirements
    .map((r) => Object.keys(r).map((name) => schemeNames[name] ?? name).join(' and '))
    .join(' or ');
}

function type(schema, depth = 0) {
  if (!schema) return 'unknown';
  if (schema.$ref) {
    const name = esc(schema.$ref.split('/').pop());
    return `<a href="#schema-${name}">${name}</a>`;
  }
  for (const [key, joiner] of [['oneOf', ' | '], ['anyOf', ' | '], ['allOf', ' & ']]) {
    if (schema[key]) return schema[key].map((s) => type(s, depth)).join(joiner);
  }
  if (schema.enum) return schema.enum.map((v) => esc(JSON.stringify(v))).join(' | ');
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return types.map((t) => {
    if (t === 'array') return `${type(schema.items, depth)}[]`;
    if (t === 'object' && schema.properties) {
      const pad = '  '.repeat(depth + 1);
      const required = new Set(schema.required || []);
      const fields = Object.entries(schema.properties).map(([name, s]) =>
        `${pad}${esc(name)}${required.has(name) ? '' : '?'}: ${type(s, depth + 1)}` +
        (s.description ? `  <span class="muted">// ${esc(s.description.split('\n\n')[0])}</span>` : ''));
      return `{\n${fields.join('\n')}\n${'  '.repeat(depth)}}`;
    }
    if (t === 'object') return `Record&lt;string, ${type(schema.additionalProperties, depth)}&gt;`;
    return esc(t ?? 'unknown');
  }).join(' | ');
}

fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  document.getElementById('intro').innerHTML =
    `${esc(doc.info.description)} Version ${esc(doc.info.version)}; the raw document is <a href="/openapi.json">/openapi.json</a>.`;
  const ops = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const params = (op.parameters || []).map((p) =>
        `<div><code>${esc(p.name)}</code> <span class="muted">in ${esc(p.in)}${p.required ? ', required' : ''}</span>${p.description ? ' — ' + esc(p.description) : ''}</div>`).join('');
      const body = op.requestBody ? `<div>Body: <pre>${type(op.requestBody.content['application/json'].schema)}</pre></div>` : '';
      const responses = Object.entries(op.responses).map(([status, r]) => {
        const content = r.content && Object.values(r.content)[0];
        return `<div><code>${esc(status)}</code> ${esc(r.description)}${content ? ' ' + type(content.schema) : ''}</div>`;
      }).join('');
      const needs = access(op.security ?? doc.security);
      ops.push(`<div class="op"><span class="method ${esc(method)}">${esc(method)}</span><code>${esc(path)}</code>` +
        (needs ? `<span class="tag">${esc(needs)}</span>` : '') +
        `<div>${esc(op.summary)}</div>${params}${body}<details><summary>Responses</summary>${responses}</details></div>`);
    }
  }
  document.getElementById('operations').innerHTML = ops.join('');
  document.getElementById('types').innerHTML = Object.entries(doc.components.schemas).sort().map(([name, schema]) =>
    `<h3 id="schema-${esc(name)}">${esc(name)}</h3>` +
    (schema.description ? `<p>${esc(schema.description.split('\n\n')[0])}</p>` : '') +
    `<pre>${type(schema)}</pre>`).join('');
  document.body.dataset.ready = 'true';
}).catch((error) => {
  document.getElementById('intro').textContent = `Could not load /openapi.json: ${error}`;
});
