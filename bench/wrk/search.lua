-- POST /api/v0/partner/enKashCard/search for one card: token check + one read-only unit.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
wrk.method = "POST"
wrk.path = "/api/v0/partner/enKashCard/search"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["partnerId"] = os.getenv("BENCH_PARTNER")
wrk.body = string.format('{"companyId":"%s","cardAccountId":"%s","enKashCardId":"%s"}',
  os.getenv("BENCH_COMPANY"), os.getenv("BENCH_ACCOUNT"), os.getenv("BENCH_CARD"))
