#!/usr/bin/env bash
# What --state-file costs, and what it keeps after a SIGKILL, per --state-sync mode (issue 15).
#
#   bench/state_sync.sh                         this tree's release build
#   BEFORE_BIN=path/to/old/vendor-sandbox bench/state_sync.sh    also an older binary (no --state-sync)
#
# Knobs: DURATION (wrk -d per load test, 5s), CONNS (32), KILLS (kills per mode, 5), KILL_MS
# (the kill comes 500..500+KILL_MS ms after the writers start, at random; 1500), WRITERS (4).
#
# 1. Throughput: wrk -t2 -cCONNS creating Bitmama card users (fresh state file each), twice in a
#    row (the second run starts with the first run's users), then reading an inquiry in the same
#    namespace; all in one namespace, then spread over 1,000 namespaces (a suite giving each test
#    its own). 2. Loss: WRITERS curl loops create users, one connection each, until a SIGKILL at a
#    random moment; the server is restarted on the same file and every user answered 201 is
#    looked for.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5s}
CONNS=${CONNS:-32}
KILLS=${KILLS:-5}
KILL_MS=${KILL_MS:-1500}
WRITERS=${WRITERS:-4}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
command -v wrk >/dev/null || { echo "error: wrk is needed (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet --bin vendor-sandbox
AFTER_BIN="$TARGET_DIR/release/vendor-sandbox"

TMP=$(mktemp -d)
SERVER_PID=""
cleanup() {
  [[ -n $SERVER_PID ]] && kill -9 "$SERVER_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# start BIN ARGS...: starts a sandbox, sets SERVER_PID and URL once it answers.
start() {
  local out="$TMP/out.$RANDOM"
  : >"$out" # exists before the server's shell opens it, so reading it cannot fail
  "$@" --port 0 --seed 1 --bitmama-balance-cents 4000000000000000000 >"$out" 2>>"$TMP/server.err" &
  SERVER_PID=$!
  for _ in $(seq 500); do
    URL=$(head -1 "$out" | awk '{ print $NF }')
    [[ $URL == http://* ]] && curl -sf "$URL/__admin/health" >/dev/null && return 0
    sleep 0.01
  done
  echo "error: the sandbox did not start: $(tail -3 "$TMP/server.err")" >&2
  exit 1
}

stop() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

wrk_run() { # MODE NAMESPACES NAMESPACE [PATH] -> "rps p50_ms p99_ms non2xx requests"
  local out line
  out=$(BENCH_MODE=$1 BENCH_NAMESPACES=$2 BENCH_NAMESPACE=$3 BENCH_PATH=${4:-} BENCH_THREADS=2 \
    BENCH_RUN="s$RANDOM$RANDOM" \
    wrk -t2 -c"$CONNS" -d"$DURATION" --timeout 10s -s bench/wrk.lua "$URL" 2>&1) || true
  line=$(sed -nE 's/^RESULT requests=([0-9]+) rps=([0-9]+) p50_us=([0-9]+) p99_us=([0-9]+) non2xx=([0-9]+).*/\2 \3 \4 \5 \1/p' <<<"$out")
  # No RESULT line: wrk failed; say how instead of printing an empty cell.
  [ -n "$line" ] || { echo "error: wrk gave no result for $1:" >&2; echo "$out" >&2; exit 1; }
  awk '{ printf "%s %.2f %.2f %s %s\n", $1, $2 / 1000, $3 / 1000, $4, $5 }' <<<"$line"
}

cell() { awk '{ print $1 " (p50 " $2 ", p99 " $3 " ms)" ($4 > 0 ? ", " $4 " non-2xx" : "") }' <<<"$1"; }

throughput() { # LABEL NAMESPACES BIN ARGS...
  local label=$1 namespaces=$2 dir="$TMP/state.$RANDOM"
  shift 2
  mkdir -p "$dir"
  local args=("$@")
  args=("${args[@]//STATE/$dir/state.json}")
  start "${args[@]}"
  local first second inquiry read ns=""
  ((namespaces > 0)) && ns=bench-0
  first=$(wrk_run create "$namespaces" "")
  second=$(wrk_run create "$namespaces" "")
  inquiry=$(curl -sS -X POST "$URL/api/v1/inquiries" -H 'Authorization: Bearer k' \
    -H "X-Sandbox-Namespace: ${ns:-default}" -H 'Content-Type: application/json' \
    -d '{"data":{"attributes":{"inquiry-template-id":"itmpl_x"}}}' |
    grep -o '"id":"inq_[^"]*"' | head -1 | cut -d'"' -f4)
  read=$(wrk_run inquiry 0 "$ns" "/api/v1/inquiries/$inquiry")
  stop
  local files
  files=$(du -sh "$dir" | cut -f1) # after the stop: files replaced while du runs make it fail
  printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$(cell "$first")" "$(cell "$second")" \
    "$(($(field "$first" 5) + $(field "$second" 5)))" "$(cell "$read")" "$files"
}

field() { awk -v i="$2" '{ print $i }' <<<"$1"; }

# One writer: creates users until the server is gone; each email answered 201 goes to $2.
writer() { # URL ACKS_FILE WRITER_ID
  local n=0 code
  while :; do
    n=$((n + 1))
    local email="k$3-$n-$RANDOM$RANDOM@example.com"
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$1/api/v2/partner/card/users" \
      -H 'Authorization: Bearer sk_staging_bench' -H 'Content-Type: application/json' \
      -H "idempotency-key: $email" \
      -d "{\"firstName\":\"Jane\",\"lastName\":\"Doe\",\"email\":\"$email\",\"phoneNumber\":\"+14155555555\",\"accountPurpose\":\"personal use\",\"ipAddress\":\"203.0.113.42\",\"isTermsOfServiceAccepted\":true,\"program\":\"custodial\"}") || true
    case $code in
      201) echo "$email" >>"$2" ;;
      000) return 0 ;;
      *) echo "error: writer got $code" >&2; return 1 ;;
    esac
  done
}

loss() { # LABEL BIN ARGS...
  local label=$1 dir="$TMP/loss.$RANDOM" lost_per_kill=() acked_total=0 lost_total=0
  shift
  mkdir -p "$dir"
  local args=("$@")
  args=("${args[@]//STATE/$dir/state.json}")
  for _ in $(seq "$KILLS"); do
    start "${args[@]}"
    local acks="$dir/acks.$RANDOM" pids=()
    : >"$acks"
    for w in $(seq "$WRITERS"); do
      writer "$URL" "$acks" "$w" &
      pids+=($!)
    done
    sleep "$(awk -v r="$RANDOM" -v m="$KILL_MS" 'BEGIN { printf "%.3f", (500 + r % m) / 1000 }')"
    kill -9 "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    for pid in "${pids[@]}"; do wait "$pid" || true; done
    start "${args[@]}"
    curl -sS "$URL/__admin/state" >"$dir/state.out"
    stop
    local acked lost
    acked=$(wc -l <"$acks")
    lost=$(grep -cvxFf <(grep -o '"email":"[^"]*"' "$dir/state.out" | cut -d'"' -f4) "$acks" || true)
    lost_per_kill+=("$lost/$acked")
    acked_total=$((acked_total + acked))
    lost_total=$((lost_total + lost))
  done
  printf '| %s | %s | %s of %s |\n' "$label" "${lost_per_kill[*]}" "$lost_total" "$acked_total"
}

echo "state-sync benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, load avg $(cut -d' ' -f1-3 /proc/loadavg), $(df -T "$TMP" | awk 'NR == 2 { print $2 }') under $TMP)"
echo
for namespaces in 0 1000; do
  where="in one namespace"
  ((namespaces > 0)) && where="spread over $namespaces namespaces"
  echo "wrk -t2 -c$CONNS -d$DURATION, creates $where, then the same again, then GET of one inquiry there:"
  echo
  echo "| binary, options | create r/s (1st run) | create r/s (2nd run) | users created | inquiry GET r/s | files after stop |"
  echo "| --- | --- | --- | ---: | --- | --- |"
  if [[ -n ${BEFORE_BIN:-} ]]; then
    throughput "before, no state file" "$namespaces" "$BEFORE_BIN"
    throughput "before, --state-file" "$namespaces" "$BEFORE_BIN" --state-file STATE
  fi
  throughput "after, no state file" "$namespaces" "$AFTER_BIN"
  throughput "after, --state-file (debounced)" "$namespaces" "$AFTER_BIN" --state-file STATE
  throughput "after, --state-file --state-sync always" "$namespaces" "$AFTER_BIN" --state-file STATE --state-sync always
  echo
done
echo "SIGKILL $KILLS times per mode, $WRITERS writers (curl, one connection per create), kill 0.5-$(awk -v m="$KILL_MS" 'BEGIN { print (500 + m) / 1000 }') s after they start:"
echo
echo "| binary, options | lost / answered 201, per kill | lost in all |"
echo "| --- | --- | ---: |"
if [[ -n ${BEFORE_BIN:-} ]]; then
  loss "before, --state-file" "$BEFORE_BIN" --state-file STATE
fi
loss "after, --state-file (debounced)" "$AFTER_BIN" --state-file STATE
loss "after, --state-file --state-sync always" "$AFTER_BIN" --state-file STATE --state-sync always
