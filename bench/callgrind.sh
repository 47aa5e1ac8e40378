#!/usr/bin/env bash
# Instructions per request, counted by callgrind (deterministic, unlike r/s on a shared box).
#
#   bench/callgrind.sh BINARY [MODE] [N]
#
# Starts BINARY (the sandbox, or the bare server with BARE=1) under callgrind with the `info`
# request log on, warms it up with 300 requests, zeroes the counters, sends N requests of MODE
# (health | create | inquiry, see bench/wrk.lua) over one keep-alive connection, dumps, and
# prints `MODE: I instructions/request (N requests)`. Every thread counts: the request-log
# writer's formatting is part of the cost. Kernel time is not counted. For the sandbox it also
# prints the request's own work alone (steadier between builds: see the end). With KEEP=DIR,
# callgrind's output files are copied to DIR (for `callgrind_annotate --inclusive=yes DIR/cg.*`).
#
# The steady state of a long-running server, as bench/run.sh measures it, needs two knobs:
# JOURNAL_SIZE=200 (`--journal-size`: the journal full after the warm-up, so each request
# recycles its oldest entry; at the default 10,000 the count measures the ring filling) and
# NAMESPACE=bench-ns (the inquiry requests name a namespace, as bench/run.sh's reads do).
set -euo pipefail
bin=$1
mode=${2:-health}
n=${3:-2000}
port=${PORT:-5299}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
if [ "${BARE:-0}" = 1 ]; then
  args=("$port")
else
  args=(--port "$port" --seed 1 --bitmama-balance-cents 4000000000000000000)
  [ -n "${JOURNAL_SIZE:-}" ] && args+=(--journal-size "$JOURNAL_SIZE")
fi
RUST_LOG=info valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" \
  "$bin" "${args[@]}" >"$out/stdout" 2>"$out/stderr" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 1 200); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/__admin/health" && break
  sleep 0.1
done
# N requests over one keep-alive connection; prints N. (wrk runs for its whole -d even after
# BENCH_LIMIT, and a slow server under callgrind needs a long -d.)
drive() {
  python3 - "$port" "$mode" "$1" "cg$RANDOM" "${NAMESPACE:-}" <<'PY'
import http.client, sys
import json
port, mode, n, tag = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = http.client.HTTPConnection("127.0.0.1", port)
persona = {"Authorization": "Bearer persona_bench_key", "Content-Type": "application/json"}
if sys.argv[5]:
    persona["X-Sandbox-Namespace"] = sys.argv[5]
def answer(method, path, body=None):
    c.request(method, path, body, persona)
    r = c.getresponse()
    raw = r.read()
    try:
        return json.loads(raw)["data"] if r.status < 300 else None
    except (ValueError, KeyError, TypeError):
        return None  # the bare server: any inquiry path answers
if mode == "inquiry":
    # One inquiry to read (as bench/run.sh reads one), made once per server.
    found = answer("GET", "/api/v1/inquiries?page%5Bsize%5D=1") or [answer(
        "POST", "/api/v1/inquiries", json.dumps({"data": {"attributes": {
            "inquiry-template-id": "itmpl_sandbox",
            "fields": {"name-first": "Jane", "name-last": "Doe"}}}})) or {"id": "inq_bench"}]
    inquiry_path = "/api/v1/inquiries/" + found[0]["id"]
for i in range(n):
    if mode == "create":
        body = ('{"firstName":"Jane","lastName":"Doe","email":"u%s-%d@bench.example",'
                '"phoneNumber":"+14155555555","accountPurpose":"personal use",'
                '"ipAddress":"203.0.113.42","isTermsOfServiceAccepted":true,"program":"custodial"}'
                % (tag, i))
        c.request("POST", "/api/v2/partner/card/users", body, {
            "Authorization": "Bearer sk_staging_bench", "Content-Type": "application/json",
            "idempotency-key": "%s-%d" % (tag, i)})
    elif mode == "inquiry":
        c.request("GET", inquiry_path, headers=persona)
    else:
        c.request("GET", "/__admin/health")
    r = c.getresponse()
    r.read()
    assert r.status < 400, r.status
print(n)
PY
}
drive 300 >/dev/null
callgrind_control -z "$pid" >/dev/null 2>&1
sent=$(drive "$n")
callgrind_control -d "$pid" >/dev/null 2>&1
sleep 0.5
total=$(cat "$out"/cg.*.* 2>/dev/null | sed -n 's/^summary: \([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s}')
echo "$mode: $((total / sent)) instructions/request ($sent requests)"
if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$out"/cg.*.* "$KEEP"/ 2>/dev/null || true; fi
# The request's own work: the sandbox's `server::service::serve` future and `http::read_head`,
# without hyper, the runtime or the log writer. Two builds differ by a few hundred instructions in the
# runtime's idle parking between this one client's requests (timing, not work); this does not.
if [ "${BARE:-0}" != 1 ]; then
  own=$(callgrind_annotate --inclusive=yes "$(ls "$out"/cg.*.* | head -1)" 2>/dev/null |
    awk '/vendor_sandbox::(server::(service::)?serve::\{\{closure\}\}|http::read_head) \[/ {
      gsub(",", "", $1); s += $1 } END { print s + 0 }')
  # A renamed `serve` or `read_head` would otherwise print a plausible 0.
  [ "$own" -gt 0 ] || { echo "error: no serve/read_head symbols in the profile" >&2; exit 1; }
  echo "$mode: $((own / sent)) instructions/request of the request's own work (serve, read_head)"
fi
