-- POST /api/v0/partner/enKashCard/block: lock and unlock in turn (blockCode L, then UL), without
-- OTP (the partner authenticates its own user): a status change, its history row and audit,
-- one durable unit. Each thread works its own cards, so its L/UL alternate on each card.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local company = os.getenv("BENCH_COMPANY")
local account = os.getenv("BENCH_ACCOUNT")
partner_post("/api/v0/partner/enKashCard/block")

function request()
  local card = next_card()
  local code = (math.floor(counter / #bench_cards) % 2 == 0) and "L" or "UL"
  local body = string.format(
    '{"companyId":"%s","cardAccountId":"%s","enKashCardId":"%s","blockCode":"%s","otpRequired":false,' ..
    '"otpMedium":"MOBILE","reason":"wrk load"}', company, account, card, code)
  return wrk.format(nil, nil, nil, body)
end
