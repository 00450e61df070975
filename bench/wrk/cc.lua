-- POST /token grant_type=client_credentials with client_secret_basic.
-- Environment: BENCH_WRK_DIR (this folder), BENCH_BASIC (base64 "client_id:secret"),
-- BENCH_TOKEN_PATH (path of the token endpoint), BENCH_BODY (optional form body).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.path = os.getenv("BENCH_TOKEN_PATH")
wrk.body = os.getenv("BENCH_BODY") or
  "grant_type=client_credentials&resource=https%3A%2F%2Fapi.example.com" ..
  "&scope=stores%3Aread%20stores%3Awrite"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")
