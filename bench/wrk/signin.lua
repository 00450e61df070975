-- Password sign-ins through the hosted pages, each from a fresh cookie jar:
--   1. GET {issuer}/authorize?...            -> 302/303 to the login page (flow cookie)
--   2. GET the login page                    -> 200, form action and csrf_token
--   3. POST identifier, password, csrf_token -> 303 to the redirect URI with ?code=
-- With BENCH_USERS (password + TOTP, bench/signin.py): each sign-in is by the next user
-- of a file of lines "email code0 code1 ...", code<k> being the user's TOTP code for time
-- step BENCH_TOTP_BASE + k (thread i of n takes lines i, i+n, ...; a thread out of users
-- stops), and step 3 answers 303 to the further-factor page:
--   4. GET that page                       -> 200, the TOTP form's action and csrf_token
--   5. POST the code for the current step  -> 303 to the redirect URI with ?code=
-- Run with as many threads as connections: each thread then drives one connection, and
-- its Lua state is that connection's browser.
-- Environment: BENCH_WRK_DIR, BENCH_AUTHORIZE (path and query of step 1),
-- BENCH_IDENTIFIER, BENCH_PASSWORD, BENCH_REDIRECT (redirect URI prefix).
-- "ok" counts completed sign-ins (a code reached the redirect URI), "bad" broken flows.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local authorize = os.getenv("BENCH_AUTHORIZE")
local redirect = os.getenv("BENCH_REDIRECT")
local step = 1
local cookies = {}
local target = nil
local body = nil

local function urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local password = "&password=" .. urlencode(os.getenv("BENCH_PASSWORD")) .. "&action=login"
local identifier = os.getenv("BENCH_IDENTIFIER")
local users = {}
local next_user = 0
local codes = nil
local totp_base = tonumber(os.getenv("BENCH_TOTP_BASE") or "0")

function init(args)
  local file = os.getenv("BENCH_USERS")
  if not file then return end
  local n = tonumber(os.getenv("BENCH_THREADS") or "1")
  local i = 0
  for line in io.lines(file) do
    if i % n == id then table.insert(users, line) end
    i = i + 1
  end
end

local function credentials()
  if #users == 0 then return "&identifier=" .. urlencode(identifier) .. password end
  next_user = next_user + 1
  local line = users[next_user]
  if line == nil then
    wrk.thread:stop()
    line = users[#users]  -- the request still owed is counted as broken, not signed in
  end
  local fields = {}
  for word in line:gmatch("%S+") do table.insert(fields, word) end
  codes = fields
  return "&identifier=" .. urlencode(fields[1]) .. password
end

local function current_code()
  return codes[2 + math.floor(os.time() / 30) - totp_base] or "000000"
end

local function path_of(location)
  return location:gsub("^https?://[^/]+", "")
end

local function keep_cookie(headers)
  -- wrk keeps one header of each name; the pages set one cookie each (the flow cookie).
  local set = headers["Set-Cookie"] or headers["set-cookie"]
  if set then
    local name, value = set:match("^([^=]+)=([^;]*)")
    if name then cookies[name] = value end
  end
end

local function cookie_header()
  local parts = {}
  for name, value in pairs(cookies) do table.insert(parts, name .. "=" .. value) end
  return table.concat(parts, "; ")
end

local function restart(broken)
  if broken then bad = bad + 1 end
  step, cookies, target, body = 1, {}, nil, nil
end

function request()
  if step == 1 then
    return wrk.format("GET", authorize, {})
  elseif step == 2 or step == 4 then
    return wrk.format("GET", target, {["Cookie"] = cookie_header()})
  end
  return wrk.format("POST", target, {
    ["Cookie"] = cookie_header(),
    ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

function response(status, headers, page)
  local location = headers["Location"] or headers["location"]
  keep_cookie(headers)
  if step == 1 then
    if (status == 302 or status == 303) and location then
      target, step = path_of(location), 2
    else
      restart(true)
    end
  elseif step == 2 then
    local action = page:match('<form method="post" action="([^"]+)"')
    local csrf = page:match('name="csrf_token" value="([^"]+)"')
    if status == 200 and action and csrf then
      target, body, step = action, "csrf_token=" .. urlencode(csrf) .. credentials(), 3
    else
      restart(true)
    end
  elseif step == 3 and codes and status == 303 and location
      and location:sub(1, #redirect) ~= redirect then
    target, step = path_of(location), 4  -- the further-factor page
  elseif step == 4 then
    local action = page:match('<form method="post" action="([^"]+/factor/totp)"')
    local csrf = page:match('name="csrf_token" value="([^"]+)"')
    if status == 200 and action and csrf then
      target, step = action, 5
      body = "csrf_token=" .. urlencode(csrf) .. "&code=" .. current_code()
    else
      restart(true)
    end
  else
    if status == 303 and location and location:sub(1, #redirect) == redirect
        and location:find("[?&]code=") then
      ok = ok + 1
      restart(false)
    else
      restart(true)
    end
  end
end
