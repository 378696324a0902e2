#!/usr/bin/env bash
# HTTP load benchmark of a real `cardcore serve` (SQLite, loopback) with wrk.
#
# Starts build/cardcore on a fresh temp data dir and an ephemeral port, creates a partner through
# the admin API, gets a token, creates a card account, funds it, creates cards, then runs wrk for a
# fixed duration per (endpoint, connection count):
#   GET  /healthz                                   HTTP stack only
#   POST /api/v0/partner/enKashCard/search          one card: token check + read-only unit
#   POST /api/v0/partner/enKashCard/balance         ₹1 load, unique uniqueReferenceNumber: durable unit
#   POST /api/v0/sandbox/authorizations             ₹1 authorization: durable unit
#   POST /api/v0/partner/enKashCard/block           lock / unlock in turn: durable unit
# Afterwards it stops the server, runs `cardcore ledger verify` and checks that every load wrk saw
# succeed is in the database. Prints markdown on stdout; progress on stderr.
#
# Environment (defaults): DURATION=10s WRK_THREADS=2 CONNECTIONS="16 64" CARDS=32 KEEP=0
# Exit status: 0 when every step worked, the ledger is clean and the load count matches.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DURATION=${DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16 64}
CARDS=${CARDS:-32}
export BENCH_WRK_DIR=$ROOT/bench/wrk
BENCH_NAME=http_load
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
command -v wrk >/dev/null || die "wrk is not installed (scripts/setup installs it)"

bench_start_server
DIR=$BENCH_DIR
bench_partner_with_cards "$CARDS"
bench_load_cards 10000
export BENCH_TOKEN=$TOKEN BENCH_PARTNER=$PARTNER BENCH_COMPANY=$COMPANY BENCH_ACCOUNT=$ACCOUNT
export BENCH_CARD=${CARD_IDS[0]}
BENCH_CARDS=$(IFS=,; echo "${CARD_IDS[*]}")
export BENCH_CARDS

# Sanity: one request of each kind answers 200 before wrk hammers it.
api /search "{\"companyId\": \"$COMPANY\", \"cardAccountId\": \"$ACCOUNT\", \"enKashCardId\": \"$BENCH_CARD\"}" >/dev/null \
  || die "search sanity request failed"

echo "| endpoint | connections | requests | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | non-200 | socket errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
LOADS_OK=0
FAILED=0
run_wrk() {  # name script connections
  local name=$1 script=$2 conns=$3 out line
  log "wrk $name: $WRK_THREADS threads, $conns connections, $DURATION"
  out=$(wrk -t"$WRK_THREADS" -c"$conns" -d"$DURATION" --timeout 10s --latency -s "$BENCH_WRK_DIR/$script" "$BASE" 2>&1) \
    || { log "wrk failed: $out"; FAILED=1; return; }
  line=$(grep '^RESULT ' <<<"$out" || true)
  [[ -n $line ]] || { log "no RESULT from wrk: $out"; FAILED=1; return; }
  grep '^FIRST_NON200 ' <<<"$out" >&2 || true
  v() { grep -o " $1=[^ ]*" <<<"$line" | cut -d= -f2; }
  echo "| $name | $conns | $(v requests) | $(v rps) | $(v p50_ms) | $(v p90_ms) | $(v p99_ms) | $(v p999_ms) | $(v max_ms) | $(v non200) | $(v socket_errors) |"
  if [[ $script == balance.lua ]]; then LOADS_OK=$((LOADS_OK + $(v ok))); fi
}
for c in $CONNECTIONS; do run_wrk "GET /healthz" healthz.lua "$c"; done
for c in $CONNECTIONS; do run_wrk "POST /search (one card)" search.lua "$c"; done
for c in $CONNECTIONS; do BENCH_RUN_TAG="W$c" run_wrk "POST /balance (₹1 load)" balance.lua "$c"; done
for c in $CONNECTIONS; do run_wrk "POST /sandbox/authorizations (₹1)" authorize.lua "$c"; done
for c in $CONNECTIONS; do run_wrk "POST /block (L / UL)" block.lua "$c"; done

echo
bench_verify && VERIFY_RC=0 || VERIFY_RC=$?
if command -v sqlite3 >/dev/null; then
  ROWS=$(sqlite3 "$DIR/data/cardcore.db" "SELECT COUNT(*) FROM card_transactions WHERE type = 'LOAD_MONEY' AND pg_reference NOT LIKE 'BENCH-LOAD-%'")
  WALLETS=$(sqlite3 "$DIR/data/cardcore.db" "SELECT COALESCE(SUM(balance_paise), 0) FROM ledger_accounts WHERE account_id LIKE 'wallet:%'" 2>/dev/null || echo "?")
  echo
  # wrk stops with up to one request in flight per connection: the server still commits those,
  # but wrk never counts their answers. So: answered <= stored <= answered + connections.
  INFLIGHT=0
  for c in $CONNECTIONS; do INFLIGHT=$((INFLIGHT + c)); done
  echo "Loads answered 200 as counted by wrk: $LOADS_OK; LOAD_MONEY rows in card_transactions: $ROWS" \
       "(the difference is requests still in flight when wrk stopped, at most $INFLIGHT);" \
       "sum of wallet balances: $WALLETS paise (₹10,000 per card loaded before the runs, plus ₹1 per stored load;" \
       "authorizations only hold)."
  if ((ROWS < LOADS_OK || ROWS > LOADS_OK + INFLIGHT)); then
    log "MISMATCH: $LOADS_OK loads answered 200 but $ROWS rows stored"
    FAILED=1
  fi
  if [[ $WALLETS != "?" ]] && ((WALLETS != ROWS * 100 + CARDS * 1000000)); then
    log "MISMATCH: $ROWS loads of ₹1 stored but wallets hold $WALLETS paise"
    FAILED=1
  fi
fi
[[ $VERIFY_RC == 0 ]] || FAILED=1
exit $FAILED
