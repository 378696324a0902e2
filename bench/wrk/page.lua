-- POST /api/v0/partner/enKashCard/transaction/all: page BENCH_PAGE (50 rows) of one card's
-- transactions, newest first (token check + one read-only unit: count and page).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
partner_post("/api/v0/partner/enKashCard/transaction/all")
wrk.body = string.format('{"companyId":"%s","cardAccountId":"%s","enKashCardId":"%s","pageNumber":%s,"pageSize":50}',
  os.getenv("BENCH_COMPANY"), os.getenv("BENCH_ACCOUNT"), os.getenv("BENCH_CARD"), os.getenv("BENCH_PAGE") or "0")
