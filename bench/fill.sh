#!/usr/bin/env bash
# Latency while one Bitmama partner fills with card users (issue 16: p99 of the create must not
# grow with the partner). wrk creates users in one partner of one namespace in back-to-back
# segments of BENCH_SEGMENT (10s) until the partner has FILL_USERS (1,000,000) users or
# FILL_TIMEOUT (300) seconds have passed; each segment prints its throughput, latency and the
# server's RSS. The bare server (examples/bare_server.rs) is measured first with the same wrk
# settings, as the machine's floor.
#
#   bench/fill.sh                          0 -> 1M users (about 6 GiB of RSS at the end)
#   FILL_USERS=200000 bench/fill.sh        a shorter fill
#   SANDBOX_BIN=path bench/fill.sh         another build (e.g. an older commit's) instead
#
# Every server listens on 127.0.0.1 and is stopped at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${FILL_USERS:-1000000}
TIMEOUT=${FILL_TIMEOUT:-300}
SEGMENT=${BENCH_SEGMENT:-10s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
TARGET_DIR=${CARGO_TARGET_DIR:-target}

command -v wrk >/dev/null || { echo "error: wrk is needed (apt-get install wrk)" >&2; exit 1; }
if [[ -z ${SANDBOX_BIN:-} ]]; then
  echo "building (release)..." >&2
  cargo build --release --quiet --bin vendor-sandbox --example bare_server
  SANDBOX_BIN="$TARGET_DIR/release/vendor-sandbox"
else
  cargo build --release --quiet --example bare_server
fi
BARE_BIN="$TARGET_DIR/release/examples/bare_server"

TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD...: runs a server whose first stdout line ends with its URL; sets URL and PID.
start() {
  local name=$1
  shift
  "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 400); do
    [[ -s $TMP/$name.out ]] && break
    sleep 0.025
  done
  URL=$(head -1 "$TMP/$name.out" | awk '{ print $NF }')
  [[ $URL == http://127.0.0.1:* ]] || { echo "error: $name did not start" >&2; cat "$TMP/$name.err" >&2; exit 1; }
}

# segment URL: one wrk run of SEGMENT creating users; prints "rps p50 p99 p99.9 max" (ms).
segment() {
  local out
  out=$(BENCH_MODE=create BENCH_THREADS=$THREADS BENCH_RUN="fill$$-${EPOCHREALTIME/./}" \
    wrk -t"$THREADS" -c"$CONNS" -d"$SEGMENT" --timeout 10s -s bench/wrk.lua "$1" 2>&1) || {
    echo "error: wrk failed: $out" >&2
    exit 1
  }
  awk '
    /^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] } }
    /^TAIL/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] } }
    END { printf "%s %.2f %.2f %.2f %.2f %s\n", r["rps"], r["p50_us"] / 1000, r["p99_us"] / 1000,
      r["p999_us"] / 1000, r["max_us"] / 1000, r["non2xx"] + r["socket_errors"] }' <<<"$out"
}

users_total() {
  curl -sS "$1/api/v1/partner/card/users?skip=0&limit=1" -H 'Authorization: Bearer sk_staging_bench' |
    grep -o '"total":[0-9]*' | head -1 | cut -d: -f2
}

rss_mib() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

echo "vendor-sandbox fill ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs), wrk -t$THREADS -c$CONNS, segments of $SEGMENT"
printf '%-22s %8s %8s %8s %8s %9s %8s %8s  %s\n' segment "r/s" "p50 ms" "p99 ms" "p99.9 ms" "max ms" errors "RSS MiB" "load avg"

start bare "$BARE_BIN" 0
read -r rps p50 p99 p999 max errors <<<"$(segment "$URL")"
printf '%-22s %8s %8s %8s %8s %9s %8s %8s  %s\n' "bare server" "$rps" "$p50" "$p99" "$p999" "$max" "$errors" - "$(cut -d' ' -f1-3 /proc/loadavg)"
kill "$PID"

start sandbox "$SANDBOX_BIN" --port 0 --seed 1 --bitmama-balance-cents 4000000000000000000
SANDBOX=$PID
have=0
started=$SECONDS
while ((have < USERS && SECONDS - started < TIMEOUT)); do
  before=$have
  read -r rps p50 p99 p999 max errors <<<"$(segment "$URL")"
  have=$(users_total "$URL")
  printf '%-22s %8s %8s %8s %8s %9s %8s %8s  %s\n' "users $before..$have" "$rps" "$p50" "$p99" "$p999" "$max" "$errors" "$(rss_mib "$SANDBOX")" "$(cut -d' ' -f1-3 /proc/loadavg)"
done
((have >= USERS)) || echo "note: stopped after ${TIMEOUT} s with $have users"
