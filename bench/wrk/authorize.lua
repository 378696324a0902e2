-- POST /api/v0/sandbox/authorizations: a ₹1 POS authorization (decision, hold, authorization
-- row, transaction row, stored answer: one durable unit), rotating over the cards. No STAN/RRN
-- is sent, so each request gets a key of its own (never a duplicate).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local cards = {}
for c in string.gmatch(os.getenv("BENCH_CARDS"), "[^,]+") do table.insert(cards, c) end
wrk.method = "POST"
wrk.path = "/api/v0/sandbox/authorizations"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["partnerId"] = os.getenv("BENCH_PARTNER")

function request()
  counter = counter + 1
  local card = cards[((id * 7919 + counter) % #cards) + 1]
  local body = string.format('{"enKashCardId":"%s","amount":1,"channel":"POS","mcc":"5411"}', card)
  return wrk.format(nil, nil, nil, body)
end
