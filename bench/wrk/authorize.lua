-- POST /api/v0/sandbox/authorizations: a ₹1 POS authorization (decision, hold, authorization
-- row, transaction row, stored answer: one durable unit), rotating over the cards. No STAN/RRN
-- is sent, so each request gets a key of its own (never a duplicate).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
partner_post("/api/v0/sandbox/authorizations")

function request()
  local card = next_card()
  local body = string.format('{"enKashCardId":"%s","amount":1,"channel":"POS","mcc":"5411"}', card)
  return wrk.format(nil, nil, nil, body)
end
