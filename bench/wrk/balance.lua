-- POST /api/v0/partner/enKashCard/balance: a ₹1 load, i.e. one durable unit (ledger entry, card
-- transaction, webhook event, COMMIT with fsync). Every request carries a unique
-- uniqueReferenceNumber (run tag, thread id, per-thread counter) and rotates over the cards.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local run_tag = os.getenv("BENCH_RUN_TAG")
local company = os.getenv("BENCH_COMPANY")
local account = os.getenv("BENCH_ACCOUNT")
partner_post("/api/v0/partner/enKashCard/balance")

function request()
  local card = next_card()
  local body = string.format(
    '{"companyId":"%s","cardAccountId":"%s","enKashCardId":"%s","amount":1,"transactionType":"CR",' ..
    '"uniqueReferenceNumber":"%s-%d-%d","description":"wrk load"}',
    company, account, card, run_tag, id, counter)
  return wrk.format(nil, nil, nil, body)
end
