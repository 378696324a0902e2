-- POST /api/v0/partner/enKashCard/balance: a ₹1 load, i.e. one durable unit (ledger entry, card
-- transaction, webhook event, COMMIT with fsync). Every request carries a unique
-- uniqueReferenceNumber (run tag, thread id, per-thread counter) and rotates over the cards.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local run_tag = os.getenv("BENCH_RUN_TAG")
local company = os.getenv("BENCH_COMPANY")
local account = os.getenv("BENCH_ACCOUNT")
local cards = {}
for c in string.gmatch(os.getenv("BENCH_CARDS"), "[^,]+") do table.insert(cards, c) end
wrk.method = "POST"
wrk.path = "/api/v0/partner/enKashCard/balance"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["partnerId"] = os.getenv("BENCH_PARTNER")

function request()
  counter = counter + 1
  local card = cards[((id * 7919 + counter) % #cards) + 1]
  local body = string.format(
    '{"companyId":"%s","cardAccountId":"%s","enKashCardId":"%s","amount":1,"transactionType":"CR",' ..
    '"uniqueReferenceNumber":"%s-%d-%d","description":"wrk load"}',
    company, account, card, run_tag, id, counter)
  return wrk.format(nil, nil, nil, body)
end
