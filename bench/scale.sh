#!/usr/bin/env bash
# Scale benchmark of a real `cardcore serve` (SQLite) holding CARDS cards and TXNS card
# transactions: how long it takes to be ready, how much memory it holds, and the latency of Get
# Card Details (/search) and of the transaction page (/transaction/all, first and deep) of a card
# among them.
#
# Starts a server on a fresh data dir, creates a partner, a funded account and 2 cards through
# the API, stops it, fills the store with build/bench/scale_fill (CARDS cards in that account,
# TXNS transactions, HOT_TXNS of them on the first card), then starts it again and measures:
#   ready     time from exec to /healthz answering 200 (the server opens, migrates, listens)
#   RSS       resident memory after start, and after the wrk runs
#   wrk, 1 connection × DURATION each: /healthz (baseline), /search of the hot card, its
#   transaction page 0 and page DEEP_PAGE (pageSize 50).
# Prints markdown on stdout, progress on stderr.
#
# Environment (defaults): CARDS=1000000 TXNS=10000000 HOT_TXNS=100000 DURATION=5s DEEP_PAGE=1000
#                         KEEP=0
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CARDS=${CARDS:-1000000}
TXNS=${TXNS:-10000000}
HOT_TXNS=${HOT_TXNS:-100000}
DURATION=${DURATION:-5s}
DEEP_PAGE=${DEEP_PAGE:-1000}
BENCH_NAME=scale
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
FILL=$ROOT/build/bench/scale_fill
[[ -x $FILL ]] || die "$FILL missing: run scripts/build"
command -v wrk >/dev/null || die "wrk is not installed (scripts/setup installs it)"
[[ -z ${BENCH_PG_DSN:-} ]] || die "bench/scale.sh measures the embedded store; unset BENCH_PG_DSN"

TTL='"accessTokenTtlSeconds": 86400'
bench_start_server "$TTL"
bench_partner_with_cards 2
bench_load_cards 1000
HOT=${CARD_IDS[0]}
ACC_JSON=$(api /cardAccount/get "{\"companyId\": \"$COMPANY\", \"cardAccountId\": \"$ACCOUNT\"}") || die "account: $ACC_JSON"
USER_ID=$(jstr userId <<<"$ACC_JSON")
[[ -n $USER_ID ]] || die "no userId in $ACC_JSON"
bench_stop_server

log "filling: $CARDS cards, $TXNS transactions ($HOT_TXNS on $HOT)"
FILL_OUT=$("$FILL" --db "$BENCH_DIR/data/cardcore.db" --partner "$PARTNER" --company "$COMPANY" \
  --company-name "Bench Load Co" --user-id "$USER_ID" --account "$ACCOUNT" --hot-card "$HOT" \
  --cards "$CARDS" --txns "$TXNS" --hot-txns "$HOT_TXNS") || die "scale_fill failed"
DB_MB=$(( $(du -sk "$BENCH_DIR/data" | cut -f1) / 1024 ))

# Start again on the filled store and time it to the first /readyz 200 (store open, schema
# current, both listeners up).
rm -f "$BENCH_DIR/data/server.json"
T0=$(date +%s%N)
"$BIN" serve --data "$BENCH_DIR/data" --http-port 0 --config "$BENCH_DIR/config.json" >"$BENCH_DIR/server2.log" 2>&1 &
SERVER_PID=$!
READY_MS=""
for _ in $(seq 1 3000); do
  if [[ -f $BENCH_DIR/data/server.json ]]; then
    PORT=$(jnum httpPort <"$BENCH_DIR/data/server.json")
    if [[ -n $PORT ]] && curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then
      READY_MS=$(( ($(date +%s%N) - T0) / 1000000 )); break
    fi
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$BENCH_DIR/server2.log" >&2; die "server exited at start"; }
  sleep 0.01
done
[[ -n $READY_MS ]] || die "not ready after 30 s"
BASE=http://127.0.0.1:$PORT
rss_mb() { echo $(( $(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status") / 1024 )); }
RSS_START=$(rss_mb)
log "ready in $READY_MS ms, RSS $RSS_START MB"

export BENCH_WRK_DIR=$ROOT/bench/wrk BENCH_TOKEN=$TOKEN BENCH_PARTNER=$PARTNER BENCH_COMPANY=$COMPANY \
  BENCH_ACCOUNT=$ACCOUNT BENCH_CARD=$HOT
# Sanity: each request answers 200 with code 0 before it is timed.
r=$(api /search "{\"companyId\":\"$COMPANY\",\"cardAccountId\":\"$ACCOUNT\",\"enKashCardId\":\"$HOT\"}") || die "search: $r"
r=$(api /transaction/all "{\"companyId\":\"$COMPANY\",\"cardAccountId\":\"$ACCOUNT\",\"enKashCardId\":\"$HOT\",\"pageNumber\":$DEEP_PAGE,\"pageSize\":50}") \
  || die "transaction page: $r"
[[ $r == *'"code":0'* ]] || die "transaction page: $r"
TOTAL=$(jnum totalCount <<<"$r")

RESULTS=()
run_wrk() {  # label script [BENCH_PAGE]
  local out
  out=$(BENCH_PAGE=${3:-0} wrk -t1 -c1 -d"$DURATION" -s "$ROOT/bench/wrk/$2" "$BASE") || die "wrk $2 failed"
  out=$(grep '^RESULT' <<<"$out")
  [[ $(grep -o ' non200=[0-9]*' <<<"$out" | cut -d= -f2) == 0 ]] || die "wrk $2: non-200 answers: $out"
  RESULTS+=("$1|$out")
}
run_wrk "/healthz (baseline)" healthz.lua
run_wrk "Get Card Details (/search)" search.lua
run_wrk "transaction page 0 (50 rows)" page.lua 0
run_wrk "transaction page $DEEP_PAGE (50 rows)" page.lua "$DEEP_PAGE"
RSS_END=$(rss_mb)
bench_stop_server

echo "| measure | requests/s | p50 ms | p90 ms | p99 ms | max ms |"
echo "|---|---:|---:|---:|---:|---:|"
for r in "${RESULTS[@]}"; do
  label=${r%%|*}; line=${r#*|}
  v() { grep -o " $1=[^ ]*" <<<" $line" | head -n1 | cut -d= -f2; }
  echo "| $label | $(v rps) | $(v p50_ms) | $(v p90_ms) | $(v p99_ms) | $(v max_ms) |"
done
echo
echo "Store: $(grep -o 'cards=.*' <<<"$FILL_OUT") (filled through the store in units of 20,000 rows); data" \
     "directory $DB_MB MB; the hot card's page answers totalCount $TOTAL (the count stops at 10,000)."
echo
echo "Ready (exec to the first /healthz 200) on the filled store: **$READY_MS ms**. Resident memory:" \
     "**$RSS_START MB** after start, **$RSS_END MB** after the runs above."
echo
echo '```'
echo "$FILL_OUT"
for r in "${RESULTS[@]}"; do echo "${r#*|}"; done
echo '```'
