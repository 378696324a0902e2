#!/usr/bin/env bash
# Instructions per operation, counted by valgrind's callgrind: the one figure on this shared,
# noisy 2-core VM that does not move with the neighbours (the same binary and inputs give the
# same count, whatever else the machine does). It says where the CPU of an operation goes, and
# a ratio of two counts is the noise-free side of a throughput ratio (the other side is
# waiting: fsync, scheduling).
#
#   authorization   build/bench/history_bench --history 0 --runs RUNS under callgrind, counting
#                   only inside authorization::authorize: one ₹1 authorization as one durable
#                   unit (its own commit), the service and store layers, no network
#                   (and again with --webhook: a partner with a webhook URL, so the unit also
#                   records the event; nothing is delivered)
#   HTTP            a real `cardcore serve` (SQLite) under callgrind, counted while wrk (1 thread,
#                   2 connections, WRK_SECONDS each) sends GET /healthz, then POST /search (Get Card
#                   Details of one card), then POST /balance (₹1 loads): every instruction of
#                   the server process (parsing, routing, auth, store, logging) per request
#
# Prints markdown on stdout; progress on stderr. Environment (defaults): RUNS=100 WRK_SECONDS=5 KEEP=0
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${RUNS:-100}
SECONDS_EACH=${WRK_SECONDS:-5}
export BENCH_WRK_DIR=$ROOT/bench/wrk
BENCH_NAME=instructions
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
command -v valgrind >/dev/null || die "valgrind is not installed (scripts/setup installs it)"
command -v wrk >/dev/null || die "wrk is not installed (scripts/setup installs it)"
[[ -x $ROOT/build/bench/history_bench ]] || die "build/bench/history_bench missing: run scripts/build"

# total FILE: the program total of a callgrind output file.
total() { callgrind_annotate "$1" 2>/dev/null | grep '%.*PROGRAM TOTALS' | awk '{print $1}' | tr -d ,; }

bench_start_server
CG=$BENCH_DIR/callgrind
mkdir -p "$CG"

log "authorization: history_bench --history 0 --runs $RUNS under callgrind"
valgrind --tool=callgrind --callgrind-out-file="$CG/auth.out" --toggle-collect='cardcore::authorization::authorize*' \
  "$ROOT/build/bench/history_bench" --history 0 --runs "$RUNS" >/dev/null 2>"$CG/auth.log" || die "history_bench failed"
AUTH_TOTAL=$(total "$CG/auth.out")
AUTH_N=$((2 * RUNS))  # history_bench alternates two cards, RUNS each
AUTH_PER=$((AUTH_TOTAL / AUTH_N))
log "authorization, partner with a webhook: history_bench --webhook under callgrind"
valgrind --tool=callgrind --callgrind-out-file="$CG/auth_webhook.out" --toggle-collect='cardcore::authorization::authorize*' \
  "$ROOT/build/bench/history_bench" --history 0 --runs "$RUNS" --webhook https://hooks.example/cardcore \
  >/dev/null 2>"$CG/auth_webhook.log" || die "history_bench --webhook failed"
AUTH_WEBHOOK_TOTAL=$(total "$CG/auth_webhook.out")
AUTH_WEBHOOK_PER=$((AUTH_WEBHOOK_TOTAL / AUTH_N))

log "HTTP: setting up a partner and a card on a plain server"
bench_partner_with_cards 2
bench_load_cards 1000
export BENCH_TOKEN=$TOKEN BENCH_PARTNER=$PARTNER BENCH_COMPANY=$COMPANY BENCH_ACCOUNT=$ACCOUNT
export BENCH_CARD=${CARD_IDS[0]}
BENCH_CARDS=$(IFS=,; echo "${CARD_IDS[*]}")
export BENCH_CARDS
bench_stop_server

log "HTTP: the same store served under callgrind on port $PORT"
# Everything is ~50× slower under callgrind: no request may be shed for having waited.
echo '{"argon2MemKib": 19456, "httpQueueBudgetMs": 600000}' >"$CG/config.json"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$CG/http.out" \
  "$BIN" serve --data "$BENCH_DIR/data" --http-port "$PORT" --config "$CG/config.json" >"$CG/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do
  curl -sf "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$CG/serve.log" >&2; die "server under callgrind exited"; }
  sleep 0.2
done
curl -sf "$BASE/healthz" >/dev/null || die "server under callgrind did not answer"

ROWS=()
declare -A PER
n=0
for script in healthz search balance; do
  # Loads need a unique reference per request: a run tag of their own for each wrk run.
  BENCH_RUN_TAG=CGW$n wrk -t1 -c2 -d2s -s "$BENCH_WRK_DIR/$script.lua" "$BASE" >/dev/null 2>&1 || true  # warm up
  callgrind_control -z "$SERVER_PID" >/dev/null 2>&1
  callgrind_control -i on "$SERVER_PID" >/dev/null 2>&1
  out=$(BENCH_RUN_TAG=CGM$n wrk -t1 -c2 -d"${SECONDS_EACH}s" -s "$BENCH_WRK_DIR/$script.lua" "$BASE" 2>&1 | grep '^RESULT' || true)
  callgrind_control -i off "$SERVER_PID" >/dev/null 2>&1
  callgrind_control -d "$SERVER_PID" >/dev/null 2>&1
  n=$((n + 1))
  requests=$(grep -o ' requests=[0-9]*' <<<" $out" | cut -d= -f2)
  non200=$(grep -o ' non200=[0-9]*' <<<" $out" | cut -d= -f2)
  [[ -n $requests && $requests -gt 0 ]] || die "wrk $script answered nothing: $out"
  [[ ${non200:-1} == 0 ]] || die "wrk $script: $non200 answers were not 200"
  dump=$(ls -t "$CG"/http.out.* | head -n1)
  t=$(total "$dump")
  PER[$script]=$((t / requests))
  ROWS+=("$script|$requests|$t")
done
bench_stop_server

echo "| operation | counted | instructions | per operation | \`/healthz\` ÷ this: the req/s ratio if CPU were the only limit |"
echo "|---|---:|---:|---:|---:|"
echo "| authorization (service + store, one durable unit, no network) | $AUTH_N | $AUTH_TOTAL | $AUTH_PER | |"
echo "| the same for a partner with a webhook (the event recorded in the unit) | $AUTH_N | $AUTH_WEBHOOK_TOTAL | $AUTH_WEBHOOK_PER | |"
for r in "${ROWS[@]}"; do
  IFS='|' read -r script requests t <<<"$r"
  case $script in
    healthz) label="GET /healthz (the HTTP stack alone)" ;;
    search) label="POST /search (Get Card Details, one card)" ;;
    balance) label="POST /balance (₹1 load, durable unit)" ;;
  esac
  ratio=$(awk -v a="${PER[healthz]}" -v b="${PER[$script]}" 'BEGIN { printf "%.0f%%", 100 * a / b }')
  echo "| $label | $requests | $t | ${PER[$script]} | $ratio |"
done
echo
echo "RESULT authorization_instructions=$AUTH_PER authorization_webhook_instructions=$AUTH_WEBHOOK_PER healthz_instructions=${PER[healthz]} search_instructions=${PER[search]} balance_instructions=${PER[balance]}"
