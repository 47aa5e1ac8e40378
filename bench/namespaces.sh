#!/usr/bin/env bash
# Many namespaces: new Bitmama card users spread over 64 namespaces by 64 concurrent connections
# (each namespace is created by the first request naming it), with the server pinned to one core
# and then to two (`taskset`), against the bare hyper server pinned the same way in the same run;
# and the RSS an empty namespace costs.
#
#   bench/namespaces.sh     (BENCH_DURATION=5s, BENCH_NAMESPACES=64, BENCH_EMPTY=2000)
#
# wrk itself is not pinned: on a two-core machine it shares the cores with the server, so compare
# the ratios of one run, not absolute numbers across runs.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${BENCH_DURATION:-5s}
SPREAD=${BENCH_NAMESPACES:-64}
EMPTY=${BENCH_EMPTY:-2000}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
RUN_TAG="n$(date +%s)$$"

echo "building (release)..." >&2
cargo build --release --quiet --bin vendor-sandbox --example bare_server
SANDBOX_BIN="$TARGET_DIR/release/vendor-sandbox"
BARE_BIN="$TARGET_DIR/release/examples/bare_server"

TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# launch CORES NAME CMD...: starts a server pinned to CORES; sets URL and PID.
launch() {
  local cores=$1 name=$2
  shift 2
  taskset -c "$cores" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  PID=$!
  PIDS+=("$PID")
  for _ in $(seq 1000); do
    [[ -s $TMP/$name.out ]] && break
    sleep 0.01
  done
  URL=$(head -1 "$TMP/$name.out" | awk '{ print $NF }')
  [[ $URL == http://* ]] || { echo "error: $name did not start" >&2; cat "$TMP/$name.err" >&2; exit 1; }
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

run_wrk() { # URL -> "rps p50_us p99_us non2xx"
  local out
  out=$(BENCH_MODE=create BENCH_THREADS=2 BENCH_NAMESPACES=$SPREAD BENCH_RUN="$RUN_TAG-${EPOCHREALTIME/./}" \
    wrk -t2 -c"$SPREAD" -d"$DURATION" --timeout 10s -s bench/wrk.lua "$1" 2>&1)
  grep '^RESULT' <<<"$out" |
    sed -E 's/.*rps=([0-9]+) p50_us=([0-9]+) p99_us=([0-9]+) non2xx=([0-9]+).*/\1 \2 \3 \4/'
}

declare -A R
for cores in 0 0,1; do
  launch "$cores" "bare-$cores" "$BARE_BIN" 0
  echo "load: bare on cores $cores..." >&2
  R[bare.$cores]=$(run_wrk "$URL")
  stop "$PID"
  launch "$cores" "sandbox-$cores" "$SANDBOX_BIN" --port 0 --seed 1 --bitmama-balance-cents 4000000000000000000
  echo "load: sandbox on cores $cores, $SPREAD namespaces..." >&2
  R[sandbox.$cores]=$(run_wrk "$URL")
  stop "$PID"
done

# RSS per empty namespace: a fresh sandbox, then EMPTY namespaces created by one request each
# (a Persona read of a missing inquiry, over one keep-alive connection; journaled too).
launch 0,1 sandbox-empty "$SANDBOX_BIN" --port 0 --seed 1
curl -sS -o /dev/null "$URL/__admin/health"
sleep 0.2
rss0=$(rss_kib "$PID")
urls=()
for i in $(seq "$EMPTY"); do urls+=("$URL/ns/empty-$i/api/v1/inquiries/inq_missing"); done
printf 'url = "%s"\noutput = "/dev/null"\n' "${urls[@]}" >"$TMP/urls"
curl -sS -K "$TMP/urls" -H 'Authorization: Bearer persona_bench_key'
sleep 0.2
rss1=$(rss_kib "$PID")
made=$(curl -sS "$URL/__admin/namespaces" | grep -o '"empty-[0-9]*"' | sort -u | wc -l || true)
stop "$PID"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "vendor-sandbox, many namespaces ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, load avg $(cut -d' ' -f1-3 /proc/loadavg))"
echo "POST /api/v2/partner/card/users spread over $SPREAD namespaces, wrk -t2 -c$SPREAD -d$DURATION"
printf '%-10s %10s %9s %9s %10s %9s %9s %7s\n' cores "bare r/s" "p50 ms" "p99 ms" "sbx r/s" "p50 ms" "p99 ms" ratio
for cores in 0 0,1; do
  read -r brps bp50 bp99 _ <<<"${R[bare.$cores]}"
  read -r srps sp50 sp99 snon <<<"${R[sandbox.$cores]}"
  printf '%-10s %10s %9.2f %9.2f %10s %9.2f %9.2f %7s\n' "$cores" "$brps" "$(bc -l <<<"$bp50/1000")" \
    "$(bc -l <<<"$bp99/1000")" "$srps" "$(bc -l <<<"$sp50/1000")" "$(bc -l <<<"$sp99/1000")" "$(ratio "$srps" "$brps")"
  [[ $snon == 0 ]] || echo "  note: $snon non-2xx answers on cores $cores"
done
read -r one _ <<<"${R[sandbox.0]}"
read -r two _ <<<"${R[sandbox.0,1]}"
echo "scaling, sandbox two cores / one core: $(ratio "$two" "$one")x"
echo "RSS per empty namespace: $(awk -v a="$rss0" -v b="$rss1" -v n="$EMPTY" 'BEGIN { printf "%.1f KiB", (b - a) / n }') ($EMPTY namespaces asked for, $made listed; RSS $((rss0 / 1024)) -> $((rss1 / 1024)) MiB)"
