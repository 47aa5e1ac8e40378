-- wrk script for bench/run.sh. Environment:
--   BENCH_MODE   health | create | inquiry (default health)
--   BENCH_PATH   path for inquiry mode (GET /api/v1/inquiries/{id})
--   BENCH_LIMIT  stop each thread after this many responses (0: run for the -d duration)
--   BENCH_THREADS  the -t value, to split BENCH_LIMIT between threads
--   BENCH_RUN    a tag that keeps emails and idempotency keys unique across runs
--   BENCH_NAMESPACE  sent as X-Sandbox-Namespace when set (the bare server ignores it)
--   BENCH_NAMESPACES create mode: spread the users over this many namespaces (bench-0...),
--                    like a test suite giving each test its own; 0 (default): one namespace
-- Prints two machine-readable lines at the end:
--   RESULT requests=N rps=R p50_us=A p99_us=B non2xx=E socket_errors=S
--   TAIL p999_us=C max_us=D

local mode = os.getenv("BENCH_MODE") or "health"
local run_tag = os.getenv("BENCH_RUN") or tostring(os.time())
local limit_total = tonumber(os.getenv("BENCH_LIMIT") or "0")
local threads_n = tonumber(os.getenv("BENCH_THREADS") or "1")
local namespaces_n = tonumber(os.getenv("BENCH_NAMESPACES") or "0")

local threads = {}
local next_thread_id = 0

function setup(thread)
  thread:set("tid", next_thread_id)
  next_thread_id = next_thread_id + 1
  table.insert(threads, thread)
end

local counter = 0
local seen = 0
local per_thread_limit = 0

function init(args)
  per_thread_limit = math.ceil(limit_total / threads_n)
  local namespace = os.getenv("BENCH_NAMESPACE") or ""
  if namespace ~= "" then
    wrk.headers["X-Sandbox-Namespace"] = namespace
  end
  if mode == "create" then
    wrk.method = "POST"
    wrk.path = "/api/v2/partner/card/users"
    wrk.headers["Authorization"] = "Bearer sk_staging_bench"
    wrk.headers["Content-Type"] = "application/json"
  elseif mode == "inquiry" then
    wrk.method = "GET"
    wrk.path = os.getenv("BENCH_PATH") or "/api/v1/inquiries/inq_missing"
    wrk.headers["Authorization"] = "Bearer persona_bench_key"
  else
    wrk.method = "GET"
    wrk.path = "/__admin/health"
  end
end

function request()
  if mode ~= "create" then
    return wrk.request()
  end
  counter = counter + 1
  local unique = run_tag .. "-" .. tid .. "-" .. counter
  local body = '{"firstName":"Jane","lastName":"Doe","email":"u' .. unique ..
    '@bench.example","phoneNumber":"+14155555555","accountPurpose":"personal use",' ..
    '"ipAddress":"203.0.113.42","isTermsOfServiceAccepted":true,"program":"custodial"}'
  wrk.headers["idempotency-key"] = unique
  if namespaces_n > 0 then
    wrk.headers["X-Sandbox-Namespace"] = "bench-" .. ((counter * threads_n + tid) % namespaces_n)
  end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  seen = seen + 1
  if per_thread_limit > 0 and seen >= per_thread_limit then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d rps=%.0f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / secs, latency:percentile(50),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
  io.write(string.format("TAIL p999_us=%d max_us=%d\n", latency:percentile(99.9), latency.max))
end
