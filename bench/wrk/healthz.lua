-- GET /healthz: the HTTP stack alone (no storage, no auth).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
wrk.method = "GET"
wrk.path = "/healthz"
