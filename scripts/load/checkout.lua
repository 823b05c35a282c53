-- wrk script: the whole checkout flow: create a cart, add a line, check out (with a fresh
-- Idempotency-Key). A wrk thread drives many connections through one Lua state, so the steps
-- are queued by cart id (every response names its cart) rather than kept per connection.
-- done() prints completed checkouts per second.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  to_fill, ready = {}, {}
  checkouts, failures, n = 0, 0, 0
end

local json = {["Content-Type"] = "application/json"}

function request()
  if #ready > 0 then
    local cart = table.remove(ready, 1)
    n = n + 1
    return wrk.format("POST", "/v1/carts/" .. cart .. "/checkout",
      {["Content-Type"] = "application/json", ["Idempotency-Key"] = "load-" .. id .. "-" .. n},
      '{"payment_method":"tok_visa","email":"load@example.com","shipping_address":'
        .. '{"name":"Load Test","line1":"1 Main St","city":"Springfield","region":"CA",'
        .. '"postal_code":"94016","country":"US"}}')
  elseif #to_fill > 0 then
    local cart = table.remove(to_fill, 1)
    return wrk.format("POST", "/v1/carts/" .. cart .. "/lines", json, '{"sku":"MUG-BLUE","quantity":1}')
  end
  return wrk.format("POST", "/v1/carts", json, '{"currency":"USD"}')
end

function response(status, headers, body)
  if status == 201 and body:find('"order"', 1, true) then
    checkouts = checkouts + 1
  elseif status == 201 then
    table.insert(to_fill, body:match('"id":"([^"]+)"'))
  elseif status == 200 then
    table.insert(ready, body:match('"id":"([^"]+)"'))
  else
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local total, failed = 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("checkouts")
    failed = failed + thread:get("failures")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("checkouts: %d in %.1f s = %.0f/s; failed requests: %d; request p50 %.2f ms, p99 %.2f ms\n",
    total, seconds, total / seconds, failed, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
