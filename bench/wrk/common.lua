-- Shared by the wrk scripts of bench/http_load.sh: counts answers by HTTP status in every thread
-- and prints one machine-readable RESULT line at the end (parsed into docs/benchmarks.md).
-- A script calls partner_post(path) (or sets wrk.method/path itself) and defines request() when
-- its body changes per request; this file does the rest.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  ok_count = 0
  bad_count = 0
  first_bad = ""
  counter = 0
end

function response(status, headers, body)
  if status == 200 then
    ok_count = ok_count + 1
  else
    bad_count = bad_count + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
  end
end

function done(summary, latency, requests)
  local ok, bad, sample = 0, 0, ""
  for _, t in ipairs(threads) do
    ok = ok + (t:get("ok_count") or 0)
    bad = bad + (t:get("bad_count") or 0)
    local fb = t:get("first_bad") or ""
    if sample == "" and fb ~= "" then sample = fb end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f " ..
    "ok=%d non200=%d socket_errors=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000,
    ok, bad, e.connect + e.read + e.write + e.timeout))
  if sample ~= "" then io.write("FIRST_NON200 " .. sample .. "\n") end
end

-- A POST of the bench partner (bearer token and partnerId header from the environment) to `path`.
function partner_post(path)
  wrk.method = "POST"
  wrk.path = path
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
  wrk.headers["partnerId"] = os.getenv("BENCH_PARTNER")
end

-- The bench cards (BENCH_CARDS, comma-separated), and the one a request takes: each thread
-- walks them in its own order.
bench_cards = {}
for c in string.gmatch(os.getenv("BENCH_CARDS") or "", "[^,]+") do table.insert(bench_cards, c) end
function next_card()
  counter = counter + 1
  return bench_cards[((id * 7919 + counter) % #bench_cards) + 1]
end
