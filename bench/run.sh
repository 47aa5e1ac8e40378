#!/usr/bin/env bash
# Benchmarks the sandbox against a bare hyper server (examples/bare_server.rs) on loopback, in
# the same run, with wrk (installed from Debian's packages when missing).
#
#   bench/run.sh                  full run (10 s per load test, three rounds, 100k users, 1M
#                                 requests)
#   BENCH_QUICK=1 bench/run.sh    short run (3 s per load test, one round, 10k users, 100k
#                                 requests)
#
#   BENCH_PEERS=1 bench/run.sh    also measures peers on the create request with a canned 201:
#                                 httpmock (bench/httpmock-peer, built here) and WireMock
#                                 standalone (its jar from the npm package `wiremock`, run with
#                                 the system's Java; `default-jre-headless` installed if missing)
#
#   BENCH_ROUNDS=N bench/run.sh   alternates bare and sandbox N times per load test (default 3 in
#                                 a full run, 1 in a quick one) and reports the round with the
#                                 median ratio (every round's ratio listed): on a shared machine
#                                 one round can be off by 15 % either way
#
# Other knobs: BENCH_DURATION (e.g. 10s), BENCH_THREADS (wrk threads, 2), BENCH_CONNECTIONS (32),
# BENCH_USERS, BENCH_REQUESTS, BENCH_PHASE_TIMEOUT (seconds a bulk phase may take), RUST_LOG
# (passed to the sandbox; its logs go to a temporary file that is deleted at exit).
#
# Prints requests/s, p50 and p99 for each load test, the sandbox/bare throughput ratio, each
# server's CPU time and context switches per request, the time from process start to the first
# successful response, and RSS when idle, after the users and across the requests (the journal
# is bounded, so it must level off).
set -euo pipefail
trap 'echo "error: bench/run.sh line $LINENO: $BASH_COMMAND failed" >&2' ERR
cd "$(dirname "$0")/.."

QUICK=${BENCH_QUICK:-0}
if [[ $QUICK == 1 ]]; then
  DURATION=${BENCH_DURATION:-3s}
  USERS=${BENCH_USERS:-10000}
  REQUESTS=${BENCH_REQUESTS:-100000}
  STARTS=3
  ROUNDS=${BENCH_ROUNDS:-1}
else
  DURATION=${BENCH_DURATION:-10s}
  USERS=${BENCH_USERS:-100000}
  REQUESTS=${BENCH_REQUESTS:-1000000}
  STARTS=7
  ROUNDS=${BENCH_ROUNDS:-3}
fi
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "error: BENCH_ROUNDS must be a positive whole number, not '$ROUNDS'" >&2; exit 2; }
PHASE_TIMEOUT=${BENCH_PHASE_TIMEOUT:-600}
RUN_TAG="r$(date +%s)$$"
TARGET_DIR=${CARGO_TARGET_DIR:-target}

# --- load generator -------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)..." >&2
  SUDO=""
  [[ $(id -u) == 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq wrk >&2
fi

# --- build ------------------------------------------------------------------------------------
echo "building (release)..." >&2
cargo build --release --quiet --bin vendor-sandbox --example bare_server
SANDBOX_BIN="$TARGET_DIR/release/vendor-sandbox"
BARE_BIN="$TARGET_DIR/release/examples/bare_server"

# --- process handling -------------------------------------------------------------------------
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

# probe HOST PORT PATH: one HTTP/1.1 GET over bash's /dev/tcp (no exec of curl); true on a 200.
probe() {
  # In a command substitution (a subshell): a refused connection ends only that subshell.
  local status
  status=$( {
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf 'GET %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "$3" "$1" "$2" >&3
    read -r _ status _ <&3 || true
    echo "$status"
  } 2>/dev/null) || return 1
  [[ $status == 200 ]]
}

# start NAME CMD...: starts a server whose first stdout line ends with its URL. Sets STARTED_PID,
# STARTED_URL, and STARTED_MS (process start to the first 200 from /__admin/health, or from the
# URL line for the bare server when its path is not health).
start() {
  local name=$1 fifo="$TMP/$1.fifo" line fd t0 t1
  shift
  rm -f "$fifo"
  mkfifo "$fifo"
  t0=$(now_us)
  "$@" >"$fifo" 2>>"$TMP/$name.err" &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  exec {fd}<"$fifo"
  if ! read -r -t 10 -u "$fd" line; then
    echo "error: $name printed no URL; its stderr:" >&2
    cat "$TMP/$name.err" >&2
    exit 1
  fi
  STARTED_URL=${line##* }
  local hostport=${STARTED_URL#http://}
  local tries=0
  until probe "${hostport%:*}" "${hostport##*:}" /__admin/health; do
    tries=$((tries + 1))
    if ((tries > 2000)); then
      echo "error: $name never answered 200 on /__admin/health" >&2
      exit 1
    fi
  done
  t1=$(now_us)
  STARTED_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
  # The FIFO stays open (fd kept) so later stdout writes never hit a closed pipe.
}

stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# Fails the run if the sandbox has gone (crashed, or killed from outside).
alive() {
  if [[ -n ${SANDBOX_PID:-} ]] && ! kill -0 "$SANDBOX_PID" 2>/dev/null; then
    echo "error: the sandbox (pid $SANDBOX_PID) is no longer running; its last log lines:" >&2
    tail -5 "$TMP/sandbox.err" >&2
    exit 1
  fi
}

# seconds_for COUNT RPS: a wrk duration for COUNT requests at RPS, with room to spare.
seconds_for() { awk -v n="$1" -v r="$2" 'BEGIN { s = int(n / (r > 0 ? r : 1) * 1.5) + 2; print (s > 60 ? 60 : s) "s" }'; }

field() { awk -v i="$2" '{ print $i }' <<<"$1"; }

rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# cpu_ticks PID: the process's user + system CPU time so far, in clock ticks (the fields after
# the command name, which is in parentheses).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# switches PID: context switches of all the process's threads so far (voluntary and not). On a
# machine whose load generator shares the cores, how often the server is switched out is part of
# its cost per request (bench/RESULTS.md, run 14).
switches() { { cat /proc/"$1"/task/*/status 2>/dev/null || true; } | awk '/^(non)?voluntary_ctxt_switches:/ { n += $2 } END { print n + 0 }'; }
# per_request COUNT REQUESTS
per_request() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.3f", (n > 0) ? c / n : 0 }'; }
TICK_US=$(awk -v hz="$(getconf CLK_TCK)" 'BEGIN { print 1e6 / hz }')
# us_per_request TICKS REQUESTS
us_per_request() { awk -v t="$1" -v n="$2" -v us="$TICK_US" 'BEGIN { printf "%.1f", (n > 0) ? t * us / n : 0 }'; }

SANDBOX_ARGS=(--port 0 --seed 1 --bitmama-balance-cents 4000000000000000000)

# wrk_run MODE URL LIMIT DURATION [NAMESPACE] [PATH]: runs wrk, echoes
# "requests rps p50_us p99_us non2xx socket_errors". wrk has no request count: LIMIT stops its
# threads after that many answers, but wrk still waits out DURATION, so bulk phases pass a
# duration sized from the measured rate. Runs in a subshell: the tag comes from the clock.
wrk_run() {
  alive
  local out
  out=$(BENCH_MODE=$1 BENCH_LIMIT=$3 BENCH_THREADS=$THREADS BENCH_RUN="$RUN_TAG-${EPOCHREALTIME/./}" \
    BENCH_NAMESPACE=${5:-} BENCH_PATH=${6:-} \
    wrk -t"$THREADS" -c"$CONNS" -d"$4" --timeout 10s -s bench/wrk.lua "$2" 2>&1) || {
    echo "error: wrk failed: $out" >&2
    exit 1
  }
  local line
  line=$(grep '^RESULT' <<<"$out") || {
    echo "error: no RESULT from wrk: $out" >&2
    exit 1
  }
  sed -E 's/RESULT requests=([0-9]+) rps=([0-9]+) p50_us=([0-9]+) p99_us=([0-9]+) non2xx=([0-9]+) socket_errors=([0-9]+)/\1 \2 \3 \4 \5 \6/' <<<"$line"
}

# --- 1. start time and idle RSS (fresh processes each time) -----------------------------------
echo "measuring start time ($STARTS starts)..." >&2
STARTS_MS=()
for _ in $(seq "$STARTS"); do
  start sandbox-start "$SANDBOX_BIN" "${SANDBOX_ARGS[@]}"
  STARTS_MS+=("$STARTED_MS")
  stop "$STARTED_PID"
done
START_MEDIAN=$(printf '%s\n' "${STARTS_MS[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
START_MIN=$(printf '%s\n' "${STARTS_MS[@]}" | sort -n | head -1)

start sandbox "$SANDBOX_BIN" "${SANDBOX_ARGS[@]}"
SANDBOX_PID=$STARTED_PID
SANDBOX_URL=$STARTED_URL
IDLE_RSS=$(rss_mib "$SANDBOX_PID")

"$BARE_BIN" 0 >"$TMP/bare.out" 2>&1 &
BARE_PID=$!
PIDS+=("$BARE_PID")
for _ in $(seq 1000); do
  [[ -s $TMP/bare.out ]] && break
  sleep 0.01
done
BARE_URL=$(head -1 "$TMP/bare.out" | awk '{ print $NF }')
[[ $BARE_URL == http://127.0.0.1:* ]] || { echo "error: bare server did not start" >&2; exit 1; }

# An inquiry to read, in its own namespace so the reads do not scan the created users' inquiries.
create_inquiry() { # NAMESPACE -> inquiry id
  curl -sS -X POST "$SANDBOX_URL/api/v1/inquiries" \
    -H 'Authorization: Bearer persona_bench_key' -H 'Content-Type: application/json' \
    -H "X-Sandbox-Namespace: $1" \
    -d '{"data":{"attributes":{"inquiry-template-id":"itmpl_sandbox","fields":{"name-first":"Jane","name-last":"Doe"}}}}' |
    grep -o '"id":"inq_[^"]*"' | head -1 | cut -d'"' -f4
}
INQUIRY=$(create_inquiry bench-read)
[[ -n $INQUIRY ]] || { echo "error: could not create an inquiry" >&2; exit 1; }
INQUIRY_PATH="/api/v1/inquiries/$INQUIRY"

# --- 2. throughput and latency, bare vs sandbox in the same run -------------------------------
# BENCH_ROUNDS > 1 alternates bare and sandbox that many times per test: the table shows the
# round with the median ratio, and every round's ratio is listed under it (on a shared machine
# one round can land on a busy moment for either server).
# Each server's CPU time per request is measured too: on a shared machine it moves less than
# r/s, and it shows whether a ratio comes from the server's own work. So are its context
# switches per request: the scheduling its answers cause (waking wrk, being preempted by it).
declare -A R ROUND_RATIOS CPU_US SWITCHES
for test in health inquiry create; do
  rows=()
  for round in $(seq "$ROUNDS"); do
    declare -A this=() cpu=() switched=()
    for target in bare sandbox; do
      url=$BARE_URL pid=$BARE_PID
      [[ $target == sandbox ]] && url=$SANDBOX_URL pid=$SANDBOX_PID
      echo "load: $test on $target ($DURATION, round $round of $ROUNDS)..." >&2
      ns=""
      [[ $test == inquiry ]] && ns=bench-read
      ticks=$(cpu_ticks "$pid")
      before=$(switches "$pid")
      this[$target]=$(wrk_run "$test" "$url" 0 "$DURATION" "$ns" "$INQUIRY_PATH")
      cpu[$target]=$(us_per_request $(($(cpu_ticks "$pid") - ticks)) "$(field "${this[$target]}" 1)")
      switched[$target]=$(per_request $(($(switches "$pid") - before)) "$(field "${this[$target]}" 1)")
    done
    r=$(awk -v a="$(field "${this[sandbox]}" 2)" -v b="$(field "${this[bare]}" 2)" \
      'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
    rows+=("$r|${this[bare]}|${this[sandbox]}|${cpu[bare]} / ${cpu[sandbox]}|${switched[bare]} / ${switched[sandbox]}")
  done
  median=$(printf '%s\n' "${rows[@]}" | sort -t'|' -k1,1n | awk -v n="${#rows[@]}" 'NR == int((n + 1) / 2)')
  R[$test.bare]=$(cut -d'|' -f2 <<<"$median")
  R[$test.sandbox]=$(cut -d'|' -f3 <<<"$median")
  ROUND_RATIOS[$test]=$(printf '%s\n' "${rows[@]}" | cut -d'|' -f1 | paste -sd' ')
  CPU_US[$test]=$(printf '%s\n' "${rows[@]}" | cut -d'|' -f4 | paste -sd',' | sed 's/,/, /g')
  SWITCHES[$test]=$(printf '%s\n' "${rows[@]}" | cut -d'|' -f5 | paste -sd',' | sed 's/,/, /g')
done

# --- 2b. peers on the same create request (BENCH_PEERS=1) -------------------------------------
PEERS=${BENCH_PEERS:-0}
PEER_ROWS=()
if [[ $PEERS == 1 ]]; then
  echo "building the httpmock peer (release)..." >&2
  cargo build --release --quiet --manifest-path bench/httpmock-peer/Cargo.toml --target-dir "$TARGET_DIR"
  PEER_CACHE=${BENCH_PEER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vendor-sandbox-bench}
  WIREMOCK_VERSION=${BENCH_WIREMOCK_VERSION:-3.13.2}
  JAR=$(find "$PEER_CACHE" -name "wiremock-standalone-$WIREMOCK_VERSION.jar" 2>/dev/null | head -1 || true)
  if [[ -z $JAR ]]; then
    echo "fetching WireMock $WIREMOCK_VERSION (npm package wiremock)..." >&2
    mkdir -p "$PEER_CACHE"
    (cd "$PEER_CACHE" && npm install --silent --no-audit --no-fund "wiremock@$WIREMOCK_VERSION" >&2)
    JAR=$(find "$PEER_CACHE" -name "wiremock-standalone-$WIREMOCK_VERSION.jar" | head -1)
  fi
  if ! command -v java >/dev/null; then
    SUDO=""
    [[ $(id -u) == 0 ]] || SUDO="sudo"
    $SUDO apt-get install -y -qq default-jre-headless >&2
  fi
  "$TARGET_DIR/release/httpmock-peer" >"$TMP/httpmock.out" 2>"$TMP/httpmock.err" &
  HTTPMOCK_PID=$!
  PIDS+=("$HTTPMOCK_PID")
  for _ in $(seq 1000); do
    [[ -s $TMP/httpmock.out ]] && break
    sleep 0.01
  done
  HTTPMOCK_URL=$(head -1 "$TMP/httpmock.out" | awk '{ print $NF }')
  # WireMock wants a port: a free one from the kernel's ephemeral range.
  WM_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  java -jar "$JAR" --bind-address 127.0.0.1 --port "$WM_PORT" --disable-banner --no-request-journal \
    >"$TMP/wiremock.out" 2>&1 &
  WM_PID=$!
  PIDS+=("$WM_PID")
  WM_URL="http://127.0.0.1:$WM_PORT"
  for _ in $(seq 600); do
    curl -fsS -o /dev/null "$WM_URL/__admin/health" 2>/dev/null && break
    sleep 0.1
  done
  # The bare server's body (no backslash or newline in it, so quotes are all there is to escape).
  created=$(<bench/baseline/user-created.json)
  curl -fsS -o /dev/null -X POST "$WM_URL/__admin/mappings" -H 'Content-Type: application/json' -d '{
    "request": {"method": "POST", "url": "/api/v2/partner/card/users"},
    "response": {"status": 201, "headers": {"Content-Type": "application/json; charset=utf-8"},
      "body": "'"${created//\"/\\\"}"'"}}'
  echo "load: create on httpmock ($DURATION)..." >&2
  R[create.httpmock]=$(wrk_run create "$HTTPMOCK_URL" 0 "$DURATION")
  echo "load: create on WireMock (warm-up 3s, then $DURATION)..." >&2
  wrk_run create "$WM_URL" 0 3s >/dev/null
  R[create.wiremock]=$(wrk_run create "$WM_URL" 0 "$DURATION")
  PEER_ROWS=(httpmock wiremock)
  stop "$HTTPMOCK_PID"
  stop "$WM_PID"
fi

users_total() {
  curl -sS "$SANDBOX_URL/api/v1/partner/card/users?skip=0&limit=1" \
    -H 'Authorization: Bearer sk_staging_bench' |
    grep -o '"total":[0-9]*' | head -1 | cut -d: -f2
}

# --- 3. RSS after USERS created users (default namespace, one partner) ------------------------
have=$(users_total)
echo "creating users up to $USERS (have $have)..." >&2
fill_start=$(now_us)
create_rps=$(field "${R[create.sandbox]}" 2)
while ((have < USERS)); do
  elapsed=$((($(now_us) - fill_start) / 1000000))
  ((elapsed < PHASE_TIMEOUT)) || break
  wrk_run create "$SANDBOX_URL" $((USERS - have)) "$(seconds_for $((USERS - have)) "$create_rps")" >/dev/null
  have=$(users_total)
done
FILL_SECS=$(awk -v a="$fill_start" -v b="$(now_us)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
USERS_DONE=$have
RSS_USERS=$(rss_mib "$SANDBOX_PID")
echo "load: create on sandbox again, with $USERS_DONE users ($DURATION)..." >&2
R[create_full.sandbox]=$(wrk_run create "$SANDBOX_URL" 0 "$DURATION")

# --- 4. RSS across REQUESTS journaled requests (own namespace: one inquiry to read) ----------
INQUIRY2=$(create_inquiry bench-rss)
RSS_STEPS=()
done_requests=0
step=$((REQUESTS / 4))
rss_start=$(now_us)
for _ in 1 2 3 4; do
  elapsed=$((($(now_us) - rss_start) / 1000000))
  ((elapsed < PHASE_TIMEOUT)) || break
  read -r n _ <<<"$(wrk_run inquiry "$SANDBOX_URL" "$step" "$(seconds_for "$step" "$(field "${R[inquiry.sandbox]}" 2)")" bench-rss "/api/v1/inquiries/$INQUIRY2")"
  done_requests=$((done_requests + n))
  RSS_STEPS+=("$done_requests:$(rss_mib "$SANDBOX_PID")")
done
alive

# --- report -----------------------------------------------------------------------------------
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t) ? "met" : "MISSED" }'; }

echo
echo "vendor-sandbox benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, load avg $(cut -d' ' -f1-3 /proc/loadavg))"
echo "wrk -t$THREADS -c$CONNS -d$DURATION on loopback; quick=$QUICK"
echo
printf '%-26s %10s %9s %9s %10s %9s %9s %7s %7s  %s\n' \
  test "bare r/s" "p50 ms" "p99 ms" "sbx r/s" "p50 ms" "p99 ms" ratio target verdict
for test in health inquiry create; do
  b=${R[$test.bare]}
  s=${R[$test.sandbox]}
  target=""
  case $test in health) target=0.90 ;; inquiry) target=0.80 ;; create) target=0.70 ;; esac
  r=$(ratio "$(field "$s" 2)" "$(field "$b" 2)")
  label=$test
  case $test in
    health) label="GET /__admin/health" ;;
    inquiry) label="GET /api/v1/inquiries/{id}" ;;
    create) label="POST card/users (new)" ;;
  esac
  printf '%-26s %10s %9s %9s %10s %9s %9s %7s %7s  %s\n' "$label" \
    "$(field "$b" 2)" "$(ms "$(field "$b" 3)")" "$(ms "$(field "$b" 4)")" \
    "$(field "$s" 2)" "$(ms "$(field "$s" 3)")" "$(ms "$(field "$s" 4)")" \
    "$r" "${target:--}" "$([[ -n $target ]] && verdict "$r" "$target" || echo -)"
done
s=${R[create_full.sandbox]}
b=${R[create.bare]}
r=$(ratio "$(field "$s" 2)" "$(field "$b" 2)")
printf '%-26s %10s %9s %9s %10s %9s %9s %7s %7s  %s\n' "  ...with $USERS_DONE users" \
  "$(field "$b" 2)" "$(ms "$(field "$b" 3)")" "$(ms "$(field "$b" 4)")" \
  "$(field "$s" 2)" "$(ms "$(field "$s" 3)")" "$(ms "$(field "$s" 4)")" "$r" 0.70 "$(verdict "$r" 0.70)"
for peer in "${PEER_ROWS[@]}"; do
  s=${R[create.$peer]}
  b=${R[create.bare]}
  printf '%-26s %10s %9s %9s %10s %9s %9s %7s %7s  %s\n' "  ...$peer (canned 201)" \
    "$(field "$b" 2)" "$(ms "$(field "$b" 3)")" "$(ms "$(field "$b" 4)")" \
    "$(field "$s" 2)" "$(ms "$(field "$s" 3)")" "$(ms "$(field "$s" 4)")" \
    "$(ratio "$(field "$s" 2)" "$(field "$b" 2)")" - -
done
if ((ROUNDS > 1)); then
  echo "  ratio of each round (the table shows the median one): health ${ROUND_RATIOS[health]}; inquiry ${ROUND_RATIOS[inquiry]}; create ${ROUND_RATIOS[create]}"
fi
echo "  server CPU per request, bare / sandbox, each round (µs): health ${CPU_US[health]}; inquiry ${CPU_US[inquiry]}; create ${CPU_US[create]}"
echo "  server context switches per request, bare / sandbox, each round: health ${SWITCHES[health]}; inquiry ${SWITCHES[inquiry]}; create ${SWITCHES[create]}"
for test in health inquiry create create_full; do
  s=${R[$test.sandbox]}
  if [[ $(field "$s" 5) != 0 || $(field "$s" 6) != 0 ]]; then
    echo "  note: $test on sandbox had $(field "$s" 5) non-2xx answers and $(field "$s" 6) socket errors"
  fi
done
echo
echo "start to first 200:   median ${START_MEDIAN} ms, min ${START_MIN} ms over $STARTS starts (target < 50 ms): $(awk -v m="$START_MEDIAN" 'BEGIN { print (m < 50) ? "met" : "MISSED" }')"
echo "idle RSS:             ${IDLE_RSS} MiB (target < 15 MiB): $(awk -v m="$IDLE_RSS" 'BEGIN { print (m < 15) ? "met" : "MISSED" }')"
echo "RSS after users:      ${RSS_USERS} MiB with $USERS_DONE users created (wanted $USERS; fill took ${FILL_SECS} s)"
# Per user: everything a create keeps (card user, inquiry, account, events, idempotency key),
# the journal full by then; the idle process subtracted.
echo "memory per user:      $(awk -v r="$RSS_USERS" -v i="$IDLE_RSS" -v n="$USERS_DONE" 'BEGIN { printf "%.2f KB (target 2 KB): %s", (r - i) * 1024 / n, ((r - i) * 1024 / n <= 2) ? "met" : "MISSED" }')"
echo "RSS across requests:  $(printf '%s MiB  ' "${RSS_STEPS[@]/:/ requests: }")"
if ((done_requests < REQUESTS)); then
  echo "  note: only $done_requests of $REQUESTS requests ran within ${PHASE_TIMEOUT} s"
fi
