-- POST /api/v0/partner/enKashCard/block: lock and unlock in turn (blockCode L, then UL), without
-- OTP (the partner authenticates its own user): a status change, its history row and audit,
-- one durable unit. Each thread works its own cards, so its L/UL alternate on each card.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local company = os.getenv("BENCH_COMPANY")
local account = os.getenv("BENCH_ACCOUNT")
local cards = {}
for c in string.gmatch(os.getenv("BENCH_CARDS"), "[^,]+") do table.insert(cards, c) end
wrk.method = "POST"
wrk.path = "/api/v0/partner/enKashCard/block"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["partnerId"] = os.getenv("BENCH_PARTNER")

function request()
  counter = counter + 1
  local card = cards[((id * 7919 + counter) % #cards) + 1]
  local code = (math.floor(counter / #cards) % 2 == 0) and "L" or "UL"
  local body = string.format(
    '{"companyId":"%s","cardAccountId":"%s","enKashCardId":"%s","blockCode":"%s","otpRequired":false,' ..
    '"otpMedium":"MOBILE","reason":"wrk load"}', company, account, card, code)
  return wrk.format(nil, nil, nil, body)
end
