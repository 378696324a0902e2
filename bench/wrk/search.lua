-- POST /api/v0/partner/enKashCard/search for one card: token check + one read-only unit.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
partner_post("/api/v0/partner/enKashCard/search")
wrk.body = string.format('{"companyId":"%s","cardAccountId":"%s","enKashCardId":"%s"}',
  os.getenv("BENCH_COMPANY"), os.getenv("BENCH_ACCOUNT"), os.getenv("BENCH_CARD"))
