# Shared by the load benchmarks (sourced, not run): start a real `cardcore serve` on loopback,
# create a partner, a funded card account and cards through the public APIs, read the cards'
# numbers through View Card (OTP from the sandbox SMS outbox), stop the server, verify the ledger.
#
# The caller sets ROOT (repository root) and may set BENCH_PG_DSN to run the server on PostgreSQL
# (the data dir then holds only keys and sandbox files). Every function dies on failure.

BIN=${BIN:-$ROOT/build/cardcore}
SERVER_PID=""
BENCH_DIR=""

log() { echo "${BENCH_NAME:-bench}: $*" >&2; }
die() { log "$*"; exit 1; }
command -v curl >/dev/null || die "curl is not installed (scripts/setup installs it)"
[[ -x $BIN ]] || die "$BIN missing: run scripts/build"

# First string value of "key" in a compact JSON document on stdin (our answers are compact and
# the values we read are ids, secrets and tokens: no escaped quotes).
jstr() { grep -o "\"$1\":\"[^\"]*\"" | head -n1 | cut -d'"' -f4; }
# First number (or string holding one) of "key".
jnum() { grep -o "\"$1\":\"\\?[0-9]*" | head -n1 | grep -o '[0-9]*$'; }

bench_cleanup() {
  bench_stop_server
  if [[ -n $BENCH_DIR ]]; then
    if [[ ${KEEP:-0} == 1 ]]; then log "kept $BENCH_DIR"; else rm -rf "$BENCH_DIR"; fi
  fi
}

# bench_start_server [extra config JSON members, e.g. '"isoPort": 0']: a fresh data dir, an
# ephemeral HTTP port; sets BENCH_DIR, SERVER_PID, PORT, BASE, ISO_PORT (when asked for).
bench_start_server() {
  BENCH_DIR=$(mktemp -d /tmp/cardcore-bench-XXXXXX)
  trap bench_cleanup EXIT
  echo "{\"argon2MemKib\": 19456${1:+, $1}}" >"$BENCH_DIR/config.json"
  CARDCORE_ADMIN_KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  export CARDCORE_ADMIN_KEY
  local args=(serve --data "$BENCH_DIR/data" --http-port 0 --config "$BENCH_DIR/config.json")
  if [[ -n ${BENCH_PG_DSN:-} ]]; then args+=(--postgres "$BENCH_PG_DSN"); fi
  "$BIN" "${args[@]}" >"$BENCH_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  # server.json appears when HTTP listens and says "ready": true once the store is open and
  # migrated and the ISO 8583 port listens.
  for _ in $(seq 1 100); do
    grep -q '"ready":true' "$BENCH_DIR/data/server.json" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$BENCH_DIR/server.log" >&2; die "server exited at start"; }
    sleep 0.1
  done
  grep -q '"ready":true' "$BENCH_DIR/data/server.json" 2>/dev/null || die "not ready after 10 s"
  PORT=$(jnum httpPort <"$BENCH_DIR/data/server.json")
  ISO_PORT=$(jnum isoPort <"$BENCH_DIR/data/server.json" || true)
  BASE=http://127.0.0.1:$PORT
  log "server pid $SERVER_PID on $BASE${ISO_PORT:+, ISO 8583 on port $ISO_PORT}, data $BENCH_DIR/data"
}

bench_stop_server() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

admin() { curl -sS --fail-with-body -X POST "$BASE$1" -H "X-Admin-Key: $CARDCORE_ADMIN_KEY" -H 'Content-Type: application/json' -d "$2"; }
api() {
  curl -sS --fail-with-body -X POST "$BASE/api/v0/partner/enKashCard$1" -H "authorization: Bearer $TOKEN" \
    -H "partnerId: $PARTNER" -H 'Content-Type: application/json' -d "$2"
}

# bench_partner_with_cards N: a partner with a token, one card account funded with ₹1,00,00,000,
# and N cards with full KYC; sets PARTNER COMPANY PLAN TOKEN ACCOUNT CARD_IDS.
bench_partner_with_cards() {
  local n=$1 P T A F C
  P=$(admin /admin/v1/partners '{"name": "Bench Load Co", "mobile": "9000012345"}') || die "create partner: $P"
  PARTNER=$(jstr partnerId <<<"$P"); COMPANY=$(jstr companyId <<<"$P"); PLAN=$(jstr planMasterId <<<"$P")
  local client_id client_secret username password
  client_id=$(jstr clientId <<<"$P"); client_secret=$(jstr clientSecret <<<"$P")
  username=$(jstr username <<<"$P"); password=$(jstr password <<<"$P")
  T=$(curl -sS --fail-with-body -X POST "$BASE/oauth/token" -u "$client_id:$client_secret" \
    --data-urlencode grant_type=password --data-urlencode "username=$username" \
    --data-urlencode "password=$password" --data-urlencode "clientId=$client_id") || die "token: $T"
  TOKEN=$(jstr access_token <<<"$T")
  [[ -n $TOKEN ]] || die "no access token: $T"
  A=$(api /cardAccount/create "{\"companyId\": \"$COMPANY\", \"companyName\": \"Bench Load Co\", \"planMasterId\": \"$PLAN\",
    \"email\": \"ops@bench.example\", \"mobile\": \"9000012345\", \"accountTitle\": \"bench\", \"accountType\": \"MEAL\"}") \
    || die "create account: $A"
  ACCOUNT=$(jstr cardAccountId <<<"$A")
  F=$(admin /admin/v1/cardAccounts/fund "{\"companyId\": \"$COMPANY\", \"cardAccountId\": \"$ACCOUNT\",
    \"amount\": 10000000, \"reference\": \"BENCH-FUND-1\"}") || die "fund: $F"
  CARD_IDS=()
  for i in $(seq 1 "$n"); do
    C=$(api "" "{\"companyId\": \"$COMPANY\", \"cardAccountId\": \"$ACCOUNT\", \"firstName\": \"Bench\", \"lastName\": \"Card$i\"}") \
      || die "create card $i: $C"
    CARD_IDS+=("$(jstr enKashCardId <<<"$C")")
    # Full KYC (₹2,00,000 balance, no monthly load or debit limit), so that the runs' loads and
    # authorizations are approved rather than refused by the MIN level's ₹10,000 limits.
    C=$(admin /admin/v1/cards/kyc "{\"enKashCardId\": \"${CARD_IDS[-1]}\", \"kycLevel\": \"FULL\",
      \"reference\": \"BENCH-KYC-$i\"}") || die "kyc of card $i: $C"
  done
  log "partner $PARTNER, account $ACCOUNT funded ₹1,00,00,000, ${#CARD_IDS[@]} cards with full KYC"
}

# bench_load_cards RUPEES: loads every card of CARD_IDS with RUPEES from the account's pool.
bench_load_cards() {
  local r
  for id in "${CARD_IDS[@]}"; do
    r=$(api /balance "{\"companyId\": \"$COMPANY\", \"cardAccountId\": \"$ACCOUNT\", \"enKashCardId\": \"$id\",
      \"amount\": \"$1\", \"transactionType\": \"CR\", \"uniqueReferenceNumber\": \"BENCH-LOAD-$id\"}") \
      || die "load $id: $r"
  done
}

# bench_card_numbers FILE: writes "PAN YYMM" for every card of CARD_IDS (View Card with an OTP
# read from the sandbox SMS outbox), for the ISO 8583 load generator.
bench_card_numbers() {
  local out=$1 o otp_id code v pan month year
  : >"$out"
  for id in "${CARD_IDS[@]}"; do
    o=$(api /otp "{\"cardAccountId\": \"$ACCOUNT\", \"enKashCardId\": \"$id\", \"cardOtpAction\": \"VIEW_CARD\"}") \
      || die "otp $id: $o"
    otp_id=$(jstr otpRequestId <<<"$o")
    code=$(grep "\"$otp_id\"" "$BENCH_DIR/data/sms-outbox.jsonl" | tail -n1 | grep -o '"text":"[0-9]\{6\}' | cut -d'"' -f4)
    [[ -n $code ]] || die "no SMS for $otp_id in the outbox"
    v=$(api /viewCard "{\"companyId\": \"$COMPANY\", \"cardAccountId\": \"$ACCOUNT\", \"enKashCardId\": \"$id\",
      \"otpMedium\": \"MOBILE\", \"otpRequired\": true, \"otpRequestId\": \"$otp_id\", \"otp\": \"$code\"}") \
      || die "viewCard $id: $v"
    pan=$(jstr cardNumber <<<"$v")
    month=$(jnum expiryMonth <<<"$v"); year=$(jnum expiryYear <<<"$v")
    [[ -n $pan && -n $month && -n $year ]] || die "viewCard $id answered no number or expiry"
    printf '%s %02d%02d\n' "$pan" "$((10#$year % 100))" "$((10#$month))" >>"$out"
  done
}

# bench_store_stats: after the server stopped, its write path's totals from the log line it
# wrote at shutdown: "commits N, units M (M/N per commit), average T µs per commit".
bench_store_stats() {
  local line c u t y
  line=$(grep '"msg":"stopped"' "$BENCH_DIR/server.log" | tail -n1)
  c=$(jnum storeCommits <<<"$line"); u=$(jnum storeUnits <<<"$line"); t=$(jnum storeCommitMicros <<<"$line")
  y=$(jnum storeSyncMicros <<<"$line"); y=${y:-0}
  [[ -n $c && $c -gt 0 ]] || { echo "no store totals in the server log"; return; }
  awk -v c="$c" -v u="$u" -v t="$t" -v y="$y" 'BEGIN { printf "store write path: %d commits carrying %d units (%.1f units per commit), %.0f µs per commit on average, of which %.0f µs in COMMIT (WAL write and fsync; SQLite only)\n", c, u, u / c, t / c, y / c }'
}

# bench_verify: stops the server and runs `cardcore ledger verify` on its store; prints the
# markdown line and returns its exit status.
bench_verify() {
  bench_stop_server
  local args=(ledger verify --data "$BENCH_DIR/data") out rc=0
  if [[ -n ${BENCH_PG_DSN:-} ]]; then args=(ledger verify --postgres "$BENCH_PG_DSN"); fi
  out=$("$BIN" "${args[@]}" 2>&1) || rc=$?
  echo "\`cardcore ledger verify\` after the run (exit $rc): \`$out\`"
  return $rc
}
