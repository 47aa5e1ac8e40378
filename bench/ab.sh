#!/usr/bin/env bash
# Compares two sandbox builds on one load test, in pairs whose order alternates (A B, B A, A B,
# ...), so a step of a few per cent can be told from the noise of a shared machine. bench/run.sh
# measures the sandbox against bare hyper; this measures a change against what it changes.
#
#   bench/ab.sh BIN_A BIN_B [health | inquiry | create]
#
# Each server is started fresh (default options, `info` log to a temporary file), warmed with 1 s
# of load, then measured with `wrk -t2 -c32` for BENCH_DURATION (3s). For each pair it prints B's
# requests/s and server CPU per request (user + system, from /proc) as ratios to A's, then their
# medians. Two copies of one binary spread about ±6 % a pair on the 2-core bench machine (run 14
# of bench/RESULTS.md): take ten pairs or more, and a step as real when the medians agree with
# most pairs. Knobs: BENCH_PAIRS (10), BENCH_DURATION (3s).
set -euo pipefail

[[ $# -ge 2 ]] || { echo "usage: bench/ab.sh BIN_A BIN_B [health|inquiry|create]" >&2; exit 2; }
for bin in "$1" "$2"; do
  [[ -f $bin && -x $bin ]] || { echo "error: $bin is not an executable file" >&2; exit 2; }
done
# Resolved before leaving the caller's directory.
A=$(realpath "$1") B=$(realpath "$2") MODE=${3:-inquiry}
PAIRS=${BENCH_PAIRS:-10}
DURATION=${BENCH_DURATION:-3s}
[[ $MODE =~ ^(health|inquiry|create)$ ]] || { echo "error: unknown mode '$MODE'" >&2; exit 2; }
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "error: wrk is needed (apt-get install wrk)" >&2; exit 2; }

TMP=$(mktemp -d)
SERVER=""
cleanup() {
  [[ -n $SERVER ]] && { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
  rm -rf "$TMP"
}
trap cleanup EXIT

# measure BIN: starts BIN, loads it, stops it; sets MEASURED to "requests_per_second
# cpu_us_per_request". Runs in this shell (not a `$(...)`), so a failure stops the script and
# the exit trap stops the server.
measure() {
  rm -f "$TMP/out"
  RUST_LOG=info "$1" --port 0 --seed 1 --bitmama-balance-cents 4000000000000000000 \
    >"$TMP/out" 2>"$TMP/log" &
  SERVER=$!
  local url="" tries=0
  until [[ $url == http://* ]]; do
    url=$(head -1 "$TMP/out" 2>/dev/null | awk '{ print $NF }')
    tries=$((tries + 1))
    ((tries < 500)) || { echo "error: $1 printed no URL" >&2; exit 1; }
    sleep 0.01
  done
  local path=/__admin/health namespace=""
  if [[ $MODE == inquiry ]]; then
    namespace=bench-read
    local id
    id=$(curl -sS -X POST "$url/api/v1/inquiries" -H 'Authorization: Bearer persona_bench_key' \
      -H 'Content-Type: application/json' -H "X-Sandbox-Namespace: $namespace" \
      -d '{"data":{"attributes":{"inquiry-template-id":"itmpl_sandbox"}}}' |
      grep -o '"id":"inq_[^"]*"' | head -1 | cut -d'"' -f4)
    [[ -n $id ]] || { echo "error: $1 created no inquiry" >&2; exit 1; }
    path=/api/v1/inquiries/$id
  fi
  load() {
    BENCH_MODE=$MODE BENCH_PATH=$path BENCH_THREADS=2 BENCH_NAMESPACE=$namespace \
      BENCH_RUN="ab${EPOCHREALTIME/./}" wrk -t2 -c32 -d"$1" -s bench/wrk.lua "$url"
  }
  load 1s >/dev/null
  local before after result
  before=$(sed 's/.*) //' "/proc/$SERVER/stat" | awk '{ print $12 + $13 }')
  load "$DURATION" >"$TMP/wrk"
  after=$(sed 's/.*) //' "/proc/$SERVER/stat" | awk '{ print $12 + $13 }')
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  SERVER=""
  result=$(grep '^RESULT' "$TMP/wrk") || { echo "error: no RESULT from wrk:" >&2; cat "$TMP/wrk" >&2; exit 1; }
  MEASURED=$(awk -v r="$result" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
    match(r, /requests=[0-9]+/); n = substr(r, RSTART + 9, RLENGTH - 9)
    match(r, /rps=[0-9]+/); rps = substr(r, RSTART + 4, RLENGTH - 4)
    if (n == 0 || rps == 0) exit 1
    printf "%d %.3f", rps, t * 1e6 / hz / n }') || { echo "error: $1 answered nothing: $result" >&2; exit 1; }
}

echo "$MODE: B = $B against A = $A, $PAIRS pairs of $DURATION" >&2
RATIOS=()
for pair in $(seq "$PAIRS"); do
  if ((pair % 2)); then
    measure "$A"; a=$MEASURED; measure "$B"; b=$MEASURED
  else
    measure "$B"; b=$MEASURED; measure "$A"; a=$MEASURED
  fi
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
    printf "%.3f %.3f", y[1] / x[1], y[2] / x[2] }')
  RATIOS+=("$ratio")
  printf 'pair %2d: A %s, B %s (r/s, CPU µs a request); B/A r/s %s, CPU %s\n' \
    "$pair" "$a" "$b" "${ratio% *}" "${ratio#* }"
done
printf '%s\n' "${RATIOS[@]}" | awk '{ r[NR] = $1; c[NR] = $2; if ($1 > 1) better++ }
  function median(v, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
  END { printf "median B/A: r/s %.3f, CPU a request %.3f; B answered more in %d of %d pairs\n",
    median(r, NR), median(c, NR), better, NR }'
