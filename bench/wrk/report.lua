-- Shared by the bench scripts: counts response statuses in every wrk thread and prints
-- one machine-readable line ("BENCH {json}") from done(), which bench/run.py parses.
-- wrk's own --latency output is printed as usual above it.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

ok, bad, stray = 0, 0, 0

function count_response(status)
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
end

function response(status, headers, body)
  count_response(status)
end

function done(summary, latency, requests)
  local n_ok, n_bad, n_stray = 0, 0, 0
  for _, t in ipairs(threads) do
    n_ok = n_ok + t:get("ok")
    n_bad = n_bad + t:get("bad")
    n_stray = n_stray + (t:get("stray") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"ok":%d,"non200":%d,"stray":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
    '"status_errors":%d,"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, n_ok, n_bad, n_stray, e.connect, e.read, e.write,
    e.timeout, e.status, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
