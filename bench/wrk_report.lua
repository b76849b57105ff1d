-- wrk script used by bench/http.py.
-- Adds the Authorization header given in BENCH_AUTHORIZATION (if any) to every request and, at the
-- end of the run, prints one machine-readable line: "BENCH_RESULT {json}". Times are microseconds.

local authorization = os.getenv("BENCH_AUTHORIZATION")
if authorization and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %.0f, "duration_us": %.0f, "connect_errors": %.0f, ' ..
    '"read_errors": %.0f, "write_errors": %.0f, "status_errors": %.0f, "timeouts": %.0f, ' ..
    '"mean_us": %.1f, "p50_us": %.1f, "p95_us": %.1f, "p99_us": %.1f, "max_us": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
