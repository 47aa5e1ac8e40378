#!/usr/bin/env bash
# Issue 15 probes: cheap before/after checks of the hardening (Host check, CORS, redirect URIs,
# state-file check at start, body timeout, namespace cap) against one binary.
#
#   bench/issue15-probes.sh [BIN]     (default: target/debug/vendor-sandbox, built if missing)
#
# Run it against a build of the commit before issue 15 and one after; an option the binary does
# not know is left out (the "before" behaviour). Prints one line per probe.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${1:-${CARGO_TARGET_DIR:-target}/debug/vendor-sandbox}
[[ -x $BIN ]] || cargo build --quiet
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

knows() { "$BIN" --help | grep -q -- "$1"; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# serve ARGS...: starts the binary on a free port; sets PORT.
serve() {
  local out="$TMP/out.$RANDOM" line=""
  "$BIN" --port 0 "$@" >"$out" 2>/dev/null &
  PIDS+=("$!")
  for _ in $(seq 500); do
    line=$(head -n1 "$out" 2>/dev/null || true)
    [[ $line == *listening* ]] && break
    sleep 0.01
  done
  PORT=${line##*:}
}

status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# 1. DNS rebinding: a rebound page resets the sandbox (same Host and Origin).
serve
rebound="rebind.evil.example:$PORT"
echo "rebound Host, POST /__admin/reset: $(status -X POST -H "Host: $rebound" \
  -H "Origin: http://$rebound" "http://127.0.0.1:$PORT/__admin/reset")"
echo "rebound Host, GET /__admin/state: $(status -H "Host: $rebound" "http://127.0.0.1:$PORT/__admin/state")"

# 2. CORS: a preflight from an unrelated site.
acao=$(curl -s -o /dev/null -D - -X OPTIONS -H 'Origin: http://evil.example' \
  -H 'Access-Control-Request-Method: GET' "http://127.0.0.1:$PORT/api/withdraw" |
  grep -i '^access-control-allow-origin' | tr -d '\r' || true)
echo "preflight from http://evil.example: $(status -X OPTIONS -H 'Origin: http://evil.example' \
  -H 'Access-Control-Request-Method: GET' "http://127.0.0.1:$PORT/api/withdraw") ${acao:-(no allow-origin)}"

# 3. Persona redirect URI with a javascript: scheme.
echo "inquiry with redirect-uri javascript:alert(1): $(status -X POST \
  -H 'Authorization: Bearer k' -H 'Content-Type: application/json' \
  -d '{"data":{"attributes":{"inquiry-template-id":"itmpl_x","redirect-uri":"javascript:alert(1)"}}}' \
  "http://127.0.0.1:$PORT/api/v1/inquiries")"

# 4. A stalled body: head, Content-Length 100, one byte, then nothing.
timeout_args=()
knows --body-timeout-secs && timeout_args=(--body-timeout-secs 2)
serve "${timeout_args[@]}"
exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
t0=$(now_ms)
printf 'POST /api/v1/inquiries HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer k\r\nContent-Length: 100\r\n\r\n{' >&"$fd"
if answer=$(timeout 20 cat <&"$fd"); then
  echo "stalled body (${timeout_args[*]:-no timeout option}): closed after $(($(now_ms) - t0)) ms, answer: $(head -n1 <<<"$answer" | tr -d '\r')"
else
  echo "stalled body (${timeout_args[*]:-no timeout option}): still open after 20 s"
fi
exec {fd}>&-

# 5. Namespaces beyond a cap of 100 (150 asked for).
cap_args=()
knows --max-namespaces && cap_args=(--max-namespaces 100)
serve "${cap_args[@]}"
declare -A codes=()
for i in $(seq 150); do
  code=$(status -H 'Authorization: Bearer k' "http://127.0.0.1:$PORT/ns/p$i/api/v1/inquiries")
  codes[$code]=$((${codes[$code]:-0} + 1))
done
kept=$(curl -s "http://127.0.0.1:$PORT/__admin/namespaces" | grep -o '"p[0-9]*"' | sort -u | wc -l)
summary=""
for code in "${!codes[@]}"; do summary+="$code x${codes[$code]} "; done
echo "150 new namespaces (${cap_args[*]:-no cap option}): ${summary}; namespaces kept: $kept"

# 6. A state file whose temporary file cannot be written (the name is a folder).
mkdir -p "$TMP/state.json.tmp/inside"
t0=$(now_ms)
"$BIN" --port 0 --state-file "$TMP/state.json" >"$TMP/state.out" 2>"$TMP/state.err" &
pid=$!
PIDS+=("$pid")
for _ in $(seq 300); do
  kill -0 "$pid" 2>/dev/null || break
  grep -q listening "$TMP/state.out" && break
  sleep 0.01
done
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"
  wait "$pid" && code=0 || code=$?
  echo "unwritable state file: started serving; at SIGTERM exit $code: $(tr '\n' ' ' <"$TMP/state.err" | grep -o 'cannot write[^)]*)' | head -n1)"
else
  wait "$pid" && code=0 || code=$?
  echo "unwritable state file: exit $code after $(($(now_ms) - t0)) ms: $(head -n1 "$TMP/state.err")"
fi
