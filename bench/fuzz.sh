#!/usr/bin/env bash
# Fuzzes request handling (in-process router sessions and raw bytes over loopback) and the
# scenario-file parser for a bounded time, with the proptest suites in tests/it/server/fuzz/.
#
#   bench/fuzz.sh            60 s per target
#   FUZZ_SECONDS=600 bench/fuzz.sh
#
# Prints each target's executions; a failure prints proptest's shrunk input and exits non-zero.
# Every failure found becomes a regression test (see bench/RESULTS.md, "Fuzzing").
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

echo "fuzzing each target for ${SECONDS_PER_TARGET} s..." >&2
cargo build --tests --quiet
status=0
# One target at a time, so each gets the whole time budget and the machine to itself.
for target in server::fuzz::requests::router_survives_random_request_sessions \
  server::fuzz::requests::router_survives_random_requests_on_deep_state \
  server::fuzz::wire::wire_survives_random_bytes \
  server::fuzz::scenarios::scenario_parser_survives_mutated_files; do
  if ! FUZZ_SECONDS=$SECONDS_PER_TARGET timeout $((SECONDS_PER_TARGET + 300)) \
    cargo test --quiet --test it -- --exact "$target" --nocapture >"$LOG" 2>&1; then
    status=1
    echo "FAILED: $target" >&2
    { grep -E 'panicked|fuzz |minimal failing input|Test failed|^error' "$LOG" || tail -20 "$LOG"; } | head -40 >&2
  elif ! grep -q ' 1 passed' "$LOG"; then
    # `--exact` with a stale path runs nothing and still exits 0.
    status=1
    echo "NOT FOUND: $target (no test ran)" >&2
  fi
  grep -E '^fuzz ' "$LOG" || true
done
exit $status
