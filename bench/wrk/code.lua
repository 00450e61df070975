-- POST /token grant_type=authorization_code with pre-minted, single-use codes.
-- Environment: BENCH_WRK_DIR, BENCH_BASIC, BENCH_TOKEN_PATH, and BENCH_CODES: a file with
-- one urlencoded form body per line (code, code_verifier, redirect_uri). Thread i of n
-- takes lines i, i+n, ... When a thread runs out of codes it stops itself; the request it
-- still has to return carries a bogus code and is counted as "stray", not as an error.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local bodies = {}
local next_body = 1
local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC"),
}
local path = os.getenv("BENCH_TOKEN_PATH")
local exhausted = false
local pending_stray = 0

function init(args)
  local n = tonumber(os.getenv("BENCH_THREADS") or "1")
  local i = 0
  for line in io.lines(os.getenv("BENCH_CODES")) do
    if i % n == id then table.insert(bodies, line) end
    i = i + 1
  end
end

function request()
  local body = bodies[next_body]
  next_body = next_body + 1
  if body == nil then
    exhausted = true
    pending_stray = pending_stray + 1
    wrk.thread:stop()
    body = "grant_type=authorization_code&code=exhausted&redirect_uri=x&code_verifier=x"
  end
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if exhausted and pending_stray > 0 and status ~= 200 then
    pending_stray = pending_stray - 1
    stray = stray + 1
    return
  end
  count_response(status)
end
