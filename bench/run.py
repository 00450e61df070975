"""Load benchmark: authserver (gunicorn + PostgreSQL) side by side with node-oidc-provider.

    .venv/bin/python bench/run.py [--duration 10] [--scenarios cc,cc-rs256,code] [--profile]

Each run: a fresh PostgreSQL database, `authserver db upgrade`, `authserver demo --json`, a
random master key; gunicorn with deploy/gunicorn.conf.py (the shipped settings) on a
loopback port; ONE node-oidc-provider process (bench/node/server.mjs) on another. Both
are checked to return 200 with an ES256 JWT (and an RS256 one for cc-rs256: authserver
through a second client created with --access-token-alg RS256, node through a second
resource indicator), warmed up, then measured with wrk (bench/wrk/*.lua) in alternation,
so the ratio holds on a noisy machine. Server CPU per
request comes from /proc/<pid>/stat (utime+stime) of every server process.

Results: a markdown table on stdout, a JSON file and the server logs in bench/results/,
and the table in docs/performance.md (between the bench markers) unless --no-docs.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import datetime as dt
import hashlib
import html.parser
import http.cookiejar
import importlib.metadata
import json
import os
import platform
import re
import resource
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = Path(sys.executable).parent
RESULTS = BENCH / "results"
NODE_DIR = BENCH / ".node"
WRK_DIR = BENCH / "wrk"
DOCS = ROOT / "docs" / "performance.md"
DOCS_BEGIN = "<!-- bench:results:begin -->"
DOCS_END = "<!-- bench:results:end -->"

CC_BODY = ("grant_type=client_credentials&resource=https%3A%2F%2Fapi.example.com"
           "&scope=stores%3Aread%20stores%3Awrite")
# node-oidc-provider signs access tokens for this resource indicator with RS256
# (bench/node/server.mjs); authserver picks the algorithm per client instead.
NODE_RS256_RESOURCE = "https://api-rs256.example.com"
CC_BODY_NODE_RS256 = CC_BODY.replace("api.example.com", "api-rs256.example.com")
RS256_CLIENT_ID = "bench-rs256"
SCENARIOS = ("cc", "cc-rs256", "code")
NODE_CLIENT = ("bench-service", secrets.token_urlsafe(32))
CLK_TCK = os.sysconf("SC_CLK_TCK")
AUTHSERVER_DEPS = ("authserver", "Flask", "Werkzeug", "Authlib", "gunicorn", "SQLAlchemy",
                   "psycopg", "cryptography", "jwcrypto", "argon2-cffi")

# Project targets (docs/performance.md).
TARGET_RATIO = 0.6
TARGET_P50_MS_C1 = 1.0
TARGET_P99_MS_C32 = 30.0


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, **kwargs)


# --- tools ------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk missing: apt-get install -y wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env).returncode != 0:
        run(["apt-get", "update", "-q"], env=env)
        run(["apt-get", "install", "-y", "-q", "wrk"], env=env)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: wrk is not installed and could not be installed")
    return found


def ensure_oidc_provider() -> str:
    package = NODE_DIR / "node_modules" / "oidc-provider" / "package.json"
    if not package.exists():
        log("installing oidc-provider@latest into bench/.node")
        NODE_DIR.mkdir(exist_ok=True)
        manifest = NODE_DIR / "package.json"
        if not manifest.exists():
            manifest.write_text('{"name": "authserver-bench-node", "private": true}\n')
        run(["npm", "install", "--no-audit", "--no-fund", "oidc-provider@latest"],
            cwd=NODE_DIR)
    version: str = json.loads(package.read_text())["version"]
    return version


# --- processes and CPU accounting -------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                pids.extend(process_tree(int(child)))
    return pids


def postgres_pids() -> list[int]:
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            if (proc / "comm").read_text().strip() == "postgres":
                pids.append(int(proc.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLK_TCK


@dataclass
class Server:
    name: str
    base_url: str
    token_path: str
    basic: str  # base64 of client_id:secret
    proc: subprocess.Popen[bytes]
    logfile: Any
    body: str = CC_BODY  # client_credentials form body (BENCH_BODY for cc.lua)

    def pids(self) -> list[int]:
        return process_tree(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logfile.close()


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench: server exited with {proc.returncode} (see bench/results)")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback http URL)
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"bench: {url} did not answer within {timeout:.0f}s")


# --- authserver -------------------------------------------------------------------------


@dataclass
class GunicornConfig:
    worker_class: str = "gthread"
    workers: int = 2
    threads: int = 4
    access_log: bool = True
    extra: list[str] = field(default_factory=list)

    def label(self) -> str:
        text = f"{self.worker_class} {self.workers}w"
        if self.worker_class == "gthread":
            text += f"x{self.threads}t"
        if not self.access_log:
            text += " no-access-log"
        return text + (" " + " ".join(self.extra) if self.extra else "")


def recreate_database(admin_dsn: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def authserver_env(args: argparse.Namespace, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHSERVER_")}
    env.update({
        "AUTHSERVER_DATABASE_URL": f"{args.pg}/{args.database}".replace(
            "postgresql://", "postgresql+psycopg://", 1),
        "AUTHSERVER_MASTER_KEY": os.urandom(32).hex(),
        "AUTHSERVER_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "AUTHSERVER_INSTANCE_PATH": str(RESULTS / "instance"),
        # Codes are minted over HTTP before the exchange is measured: give them time.
        "AUTHSERVER_AUTH_CODE_TTL": "600",
    })
    return env


def gunicorn_command(cfg: GunicornConfig, port: int) -> list[str]:
    cmd = [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
           "--bind", f"127.0.0.1:{port}", "--workers", str(cfg.workers),
           "--worker-class", cfg.worker_class, "--threads", str(cfg.threads)]
    if not cfg.access_log:
        cmd += ["--access-logfile", "/dev/null"]
    return [*cmd, *cfg.extra, "authserver.wsgi:app"]


RS256_CLIENT_ARGS = ["client", "create", "--tenant", "demo", "--name", "Bench RS256",
                     "--client-id", RS256_CLIENT_ID, "--grant-type", "client_credentials",
                     "--scope", "stores:read stores:write", "--access-token-alg", "RS256",
                     "--json"]


def prepare_authserver(args: argparse.Namespace, rs256: bool = False
                       ) -> tuple[int, dict[str, str], dict[str, Any]]:
    port = args.port or free_port()
    env = authserver_env(args, port)
    recreate_database(f"{args.pg}/{args.admin_db}", args.database)
    (RESULTS / "instance").mkdir(parents=True, exist_ok=True)
    authserver = str(VENV_BIN / "authserver")
    run([authserver, "db", "upgrade"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    demo = json.loads(run([authserver, "demo", "--json"], env=env, cwd=ROOT,
                          capture_output=True).stdout)
    if rs256:
        # A client_credentials client whose access tokens are signed RS256 (the demo's
        # demo-service gets the default, ES256).
        created = json.loads(run([authserver, *RS256_CLIENT_ARGS], env=env, cwd=ROOT,
                                 capture_output=True).stdout)
        demo["bench_rs256"] = {"client_id": created["client_id"],
                               "client_secret": created["client_secret"]}
    return port, env, demo


def start_authserver(cfg: GunicornConfig, port: int, env: dict[str, str],
                     demo: dict[str, Any]) -> Server:
    service = next(c for c in demo["clients"] if c["client_id"] == "demo-service")
    logfile = (RESULTS / "authserver.log").open("ab")
    cmd = gunicorn_command(cfg, port)
    log("start: " + shlex.join(cmd))
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=logfile, stderr=logfile)
    wait_http(f"http://127.0.0.1:{port}/healthz", proc)
    issuer_path = urllib.parse.urlsplit(demo["issuer"]).path
    basic = base64.b64encode(f"demo-service:{service['client_secret']}".encode()).decode()
    server = Server("authserver", f"http://127.0.0.1:{port}", f"{issuer_path}/token", basic,
                    proc, logfile)
    # Wait for every worker, not just the first one up.
    deadline = time.monotonic() + 20
    while len(server.pids()) < 1 + cfg.workers and time.monotonic() < deadline:
        time.sleep(0.1)
    return server


def start_node(port: int) -> Server:
    logfile = (RESULTS / "node.log").open("ab")
    cmd = ["node", str(BENCH / "node" / "server.mjs"), str(port), *NODE_CLIENT]
    proc = subprocess.Popen(cmd, env={**os.environ, "NODE_ENV": "production"}, cwd=ROOT,
                            stdout=logfile, stderr=logfile)
    wait_http(f"http://127.0.0.1:{port}/.well-known/openid-configuration", proc)
    basic = base64.b64encode(":".join(NODE_CLIENT).encode()).decode()
    return Server("node-oidc-provider", f"http://127.0.0.1:{port}", "/token", basic, proc,
                  logfile)


# --- checks -----------------------------------------------------------------------------


def b64url_json(part: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def post_form(url: str, body: str, basic: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 (loopback http URL built here)
        url, data=body.encode(), method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def check_jwt(token: str, alg: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise SystemExit(f"bench: not a JWS: {token[:40]}...")
    header, claims = b64url_json(parts[0]), b64url_json(parts[1])
    if header.get("alg") != alg:
        raise SystemExit(f"bench: expected {alg}, got header {header}")
    return {"header": header, "claims": claims}


def verify_cc(server: Server, alg: str = "ES256") -> dict[str, Any]:
    status, body = post_form(server.base_url + server.token_path, server.body, server.basic)
    if status != 200 or "access_token" not in body:
        raise SystemExit(f"bench: {server.name} client_credentials -> {status} {body}")
    jwt = check_jwt(body["access_token"], alg)
    log(f"{server.name}: 200, access token header {jwt['header']}, "
        f"aud {jwt['claims'].get('aud')}, scope {body.get('scope')!r}")
    return jwt


# --- wrk --------------------------------------------------------------------------------


@dataclass
class Measurement:
    scenario: str
    server: str
    connections: int
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    errors: int
    cpu_ms_per_req: float
    wrk_cpu_ms_per_req: float
    pg_cpu_ms_per_req: float = 0.0
    note: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


def wrk(server: Server, script: str, connections: int, duration: float,
        extra_env: dict[str, str] | None = None, scenario: str = "",
        quiet: bool = False) -> Measurement:
    threads = min(connections, 2)
    env = {**os.environ, "BENCH_WRK_DIR": str(WRK_DIR), "BENCH_BASIC": server.basic,
           "BENCH_TOKEN_PATH": server.token_path, "BENCH_THREADS": str(threads),
           "BENCH_BODY": server.body,
           **(extra_env or {})}
    cmd = ["wrk", "--latency", "-t", str(threads), "-c", str(connections),
           "-d", f"{duration:g}s", "--timeout", "5s", "-s", str(WRK_DIR / script),
           server.base_url + server.token_path]
    pids = server.pids()
    pg = postgres_pids()
    cpu_before, pg_before = cpu_seconds(pids), cpu_seconds(pg)
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = run(cmd, env=env, capture_output=True).stdout
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu_seconds(pids) - cpu_before
    pg_cpu = cpu_seconds(pg + [p for p in postgres_pids() if p not in pg]) - pg_before
    wrk_cpu = (wrk_after.ru_utime + wrk_after.ru_stime
               - wrk_before.ru_utime - wrk_before.ru_stime)
    match = re.search(r"^BENCH (\{.*\})$", out, re.M)
    if not match:
        raise SystemExit(f"bench: no BENCH line in wrk output:\n{out}")
    raw = json.loads(match.group(1))
    raw["wrk_output"] = out
    if not quiet:
        print(f"--- {scenario} {server.name} c={connections}\n{out}", file=sys.stderr)
    counted = raw["ok"] + raw["non200"]
    errors = (raw["non200"] + raw["connect_errors"] + raw["read_errors"]
              + raw["write_errors"] + raw["timeouts"])
    note = ""
    if raw["stray"]:
        # Codes ran out before the time was up: wrk's elapsed time includes the idle rest,
        # so throughput comes from Little's law (connections / mean latency).
        rps = connections / (raw["mean_us"] / 1e6)
        note = "codes ran out; req/s = connections / mean latency"
    else:
        rps = raw["requests"] / (raw["duration_us"] / 1e6)
    return Measurement(
        scenario=scenario, server=server.name, connections=connections, requests=counted,
        rps=rps, p50_ms=raw["p50_us"] / 1000, p99_ms=raw["p99_us"] / 1000,
        mean_ms=raw["mean_us"] / 1000, errors=errors,
        cpu_ms_per_req=1000 * cpu / max(counted, 1),
        wrk_cpu_ms_per_req=1000 * wrk_cpu / max(counted, 1),
        pg_cpu_ms_per_req=max(0.0, 1000 * pg_cpu / max(counted, 1)), note=note,
        raw={k: v for k, v in raw.items() if k != "wrk_output"})


# --- authorization-code minting over the hosted login pages ------------------------------


class _Forms(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""),
                               "method": a.get("method", "get").lower(), "fields": [],
                               "buttons": []})
        elif self.forms and tag in ("input", "button", "select", "textarea"):
            kind = a.get("type", "submit" if tag == "button" else "text").lower()
            item = (a.get("name", ""), a.get("value", ""), kind)
            if kind == "submit":
                self.forms[-1]["buttons"].append(item)
            elif kind not in ("checkbox", "radio") or "checked" in a:
                self.forms[-1]["fields"].append(item)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


APPROVE = re.compile(r"allow|approve|accept|consent|authori[sz]e|yes|continue", re.I)


class CodeMinter:
    """Drives GET /authorize -> login form -> (consent) -> redirect with ?code=, by HTTP.

    One login; later authorizations reuse the session cookie, so minting costs a
    redirect or two per code, not a password hash.
    """

    def __init__(self, issuer: str, client_id: str, redirect_uri: str, email: str,
                 password: str) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.email = email
        self.password = password
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def _open(self, url: str, data: dict[str, str] | None = None
              ) -> tuple[int, dict[str, str], str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)  # noqa: S310 (loopback http URL)
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode(errors="replace")

    def authorize_available(self) -> bool:
        status, _, _ = self._open(f"{self.issuer}/authorize?client_id={self.client_id}")
        return status != 404

    def mint(self) -> tuple[str, str]:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = secrets.token_urlsafe(12)
        url = f"{self.issuer}/authorize?" + urllib.parse.urlencode({
            "response_type": "code", "client_id": self.client_id,
            "redirect_uri": self.redirect_uri, "scope": "openid", "state": state,
            "nonce": secrets.token_urlsafe(12), "code_challenge": challenge,
            "code_challenge_method": "S256"})
        data: dict[str, str] | None = None
        for _ in range(12):
            status, headers, text = self._open(url, data)
            data = None
            location = headers.get("Location") or headers.get("location")
            if status in (301, 302, 303, 307) and location:
                target = urllib.parse.urljoin(url, location)
                if target.startswith(self.redirect_uri):
                    query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
                    if "code" not in query or query.get("state") != [state]:
                        raise RuntimeError(f"redirect without code/state: {target}")
                    return query["code"][0], verifier
                url = target
                continue
            if status != 200:
                raise RuntimeError(f"{url} -> {status}: {text[:200]}")
            url, data = self._fill(url, text)
        raise RuntimeError("too many steps without a code")

    def _fill(self, url: str, page: str) -> tuple[str, dict[str, str]]:
        parser = _Forms()
        parser.feed(page)
        forms = [f for f in parser.forms if f["method"] == "post"]
        if not forms:
            raise RuntimeError(f"no POST form at {url}")
        login = [f for f in forms if any(k == "password" for _, _, k in f["fields"])]
        form = login[0] if login else forms[0]
        data = {name: value for name, value, _ in form["fields"] if name}
        if login:
            for name, _, kind in form["fields"]:
                if kind == "password":
                    data[name] = self.password
                elif kind in ("email", "text") and re.search("mail|user|login|ident", name):
                    data[name] = self.email
        buttons = form["buttons"]
        chosen = next((b for b in buttons if APPROVE.search(f"{b[0]} {b[1]}")),
                      buttons[0] if buttons else None)
        if chosen and chosen[0]:
            data[chosen[0]] = chosen[1]
        return urllib.parse.urljoin(url, form["action"] or url), data


def mint_codes(minter: CodeMinter, count: int, path: Path) -> float:
    start = time.monotonic()
    redirect = urllib.parse.quote(minter.redirect_uri, safe="")
    with path.open("w") as out:
        for _ in range(count):
            code, verifier = minter.mint()
            out.write(f"grant_type=authorization_code&code={urllib.parse.quote(code)}"
                      f"&redirect_uri={redirect}&code_verifier={verifier}\n")
    return time.monotonic() - start


# --- profiling --------------------------------------------------------------------------


def profile_worker(server: Server, name: str, script: str, duration: float, connections: int,
                   extra_env: dict[str, str] | None = None) -> Path | None:
    """py-spy (GIL-holding thread only) on one gunicorn worker while wrk loads the server."""
    pyspy = VENV_BIN / "py-spy"
    if not pyspy.exists():
        log("py-spy missing: installing it into the venv")
        run([str(VENV_BIN / "python"), "-m", "pip", "install", "-q", "py-spy"])
    workers = [p for p in server.pids() if p != server.proc.pid]
    if not workers:
        return None
    out = RESULTS / f"{name}-profile.txt"
    cmd = [str(pyspy), "record", "--pid", str(workers[0]), "--duration", str(int(duration)),
           "--rate", "250", "--gil", "--format", "raw", "--nonblocking", "-o", str(out)]
    spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    wrk(server, script, connections, duration, extra_env, scenario="profile", quiet=True)
    spy.wait(timeout=duration + 30)
    (RESULTS / f"{name}-profile-summary.md").write_text(summarize_profile(out))
    return out


# Inclusive shares: a sample counts for every category one of its frames matches.
PROFILE_CATEGORIES = [
    ("outside the app (gunicorn: accept, parse, write, log)",
     ("!Flask.__call__", "!TokenEndpoint.__call__")),
    ("  gunicorn: parse request", ("gunicorn/http/parser", "gunicorn/http/message",
                                  "gunicorn/http/unreader", "gunicorn/http/body")),
    ("  gunicorn: write response", ("Response.write (gunicorn", "Response.close (gunicorn",
                                   "(gunicorn/util.py")),
    ("  gunicorn: access log", ("gunicorn/glogging",)),
    ("app total (token fast path or Flask)", ("TokenEndpoint.__call__", "Flask.wsgi_app")),
    ("  of which Flask (requests the token fast path passed on)", ("Flask.wsgi_app",)),
    ("  Flask/Werkzeug request+context setup", ("Flask.request_context", "RequestContext.push",
                                                "Flask.preprocess_request",
                                                "url_value_preprocessor", "Map.bind",
                                                "MapAdapter.match")),
    ("  tenant lookup", ("_resolve_tenant", "TenantDirectory.find")),
    ("  form parsing (params.py, werkzeug form)", ("form_params", "_read_form",
                                                  "parse_urlencoded")),
    ("  Authlib create_token_response total", ("AuthorizationServer.create_token_response",
                                               "TokenServer.create_token_response")),
    ("    client authentication", ("authenticate_client", "authenticate_token_endpoint_client")),
    ("    scope/resource validation", ("client_credentials_scope", "validate_resources")),
    ("    TokenMinter.access_token (claims+sign)", ("TokenMinter.access_token",)),
    ("      jws.sign total (JSON + base64 + ECDSA)", ("^sign (authserver/protocol/jws.py",)),
    ("      ECDSA P-256 sign (cryptography)", ("_raw_sign",)),
    ("      random jti (secrets)", ("token_urlsafe",)),
    ("  response JSON + Response object", ("_respond", "orjson")),
    ("  Flask finalize/teardown", ("Flask.finalize_request", "Flask.do_teardown",
                                   "AppContext.pop", "RequestContext.pop")),
]


def summarize_profile(path: Path) -> str:
    """Inclusive share of GIL-holding samples per category (py-spy --gil, raw format)."""
    if not path.exists():
        return "(no profile)\n"
    totals: dict[str, int] = {}
    leaves: dict[str, int] = {}
    all_samples = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if ";" not in stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        all_samples += count
        for name, keys in PROFILE_CATEGORIES:
            if keys[0].startswith("!"):
                hit = not any(k[1:] in frame for frame in frames for k in keys)
            else:
                hit = any(frame.startswith(k[1:]) if k.startswith("^") else k in frame
                          for frame in frames for k in keys)
            if hit:
                totals[name] = totals.get(name, 0) + count
        leaf = re.sub(r":\d+\)$", ")", frames[-1])
        leaves[leaf] = leaves.get(leaf, 0) + count
    if not all_samples:
        return "(no samples)\n"
    lines = [f"{all_samples} samples of the thread holding the GIL in one worker.", "",
             "| category (inclusive) | share |", "|---|---:|"]
    for name, _ in PROFILE_CATEGORIES:
        share = 100 * totals.get(name, 0) / all_samples
        lines.append(f"| {name.replace('  ', '&nbsp;&nbsp;')} | {share:.1f}% |")
    lines += ["", "Top self time (leaf function):", ""]
    for name, count in sorted(leaves.items(), key=lambda kv: -kv[1])[:20]:
        lines.append(f"- {100 * count / all_samples:4.1f}% {name}")
    return "\n".join(lines) + "\n"


# --- reporting --------------------------------------------------------------------------


def machine_info(node_provider_version: str) -> dict[str, str]:
    cpu = "?"
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        for line in run(["lscpu"], capture_output=True).stdout.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    mem_kb = 0
    with contextlib.suppress(OSError):
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
    node = run(["node", "--version"], capture_output=True).stdout.strip()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    deps = []
    for name in AUTHSERVER_DEPS:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            deps.append(f"{name} {importlib.metadata.version(name)}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "authserver"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    if dirty:
        commit += f" + uncommitted changes in {len(dirty.splitlines())} authserver/ file(s)"
    return {
        "nproc": str(os.cpu_count()), "cpu": cpu, "ram": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "python": platform.python_version(), "node": node,
        "oidc-provider": node_provider_version,
        "wrk": (wrk_version.stdout + wrk_version.stderr).split("\n")[0].strip(),
        "deps": ", ".join(deps), "commit": commit,
    }


def median(runs: list[Measurement]) -> Measurement:
    """The run with the median req/s; errors are summed over all runs."""
    ordered = sorted(runs, key=lambda m: m.rps)
    chosen = ordered[(len(ordered) - 1) // 2]
    chosen.errors = sum(m.errors for m in runs)
    if len(runs) > 1:
        spread = ", ".join(f"{m.rps:,.0f}" for m in runs)
        chosen.note = (chosen.note + "; " if chosen.note else "") + f"median of {spread}"
    return chosen


def fmt_table(results: list[Measurement]) -> str:
    lines = ["| scenario | server | conns | req/s | p50 ms | p99 ms | errors | "
             "server CPU ms/req | PostgreSQL CPU ms/req | wrk CPU ms/req |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for m in results:
        note = f" ({m.note})" if m.note else ""
        lines.append(f"| {m.scenario} | {m.server} | {m.connections} | {m.rps:,.0f}{note} | "
                     f"{m.p50_ms:.2f} | {m.p99_ms:.2f} | {m.errors} | "
                     f"{m.cpu_ms_per_req:.2f} | {m.pg_cpu_ms_per_req:.2f} | "
                     f"{m.wrk_cpu_ms_per_req:.2f} |")
    return "\n".join(lines)


def verdicts(results: list[Measurement]) -> list[str]:
    out: list[str] = []
    by = {(m.scenario, m.server, m.connections): m for m in results}
    cc_conns = sorted({m.connections for m in results if m.scenario.startswith("cc")})
    # "cc" lines are ES256 (the format of earlier runs); RS256 lines say so.
    for scenario, label in (("cc ES256", "cc"), ("cc RS256", "cc RS256")):
        for conns in cc_conns:
            a = by.get((scenario, "authserver", conns))
            n = by.get((scenario, "node-oidc-provider", conns))
            if a and n:
                ratio = a.rps / n.rps
                cpu_ratio = n.cpu_ms_per_req / a.cpu_ms_per_req if a.cpu_ms_per_req else 0
                met = "met" if ratio >= TARGET_RATIO else "NOT met"
                out.append(f"- {label} c={conns}: authserver/node = **{ratio:.2f}x** req/s "
                           f"(target >= {TARGET_RATIO}x: {met});"
                           f" CPU efficiency node/authserver per request = {cpu_ratio:.2f}x")
        c1 = by.get((scenario, "authserver", 1))
        if c1:
            ok = c1.p50_ms <= TARGET_P50_MS_C1
            out.append(f"- {label} c=1 p50 = {c1.p50_ms:.2f} ms (target <= "
                       f"{TARGET_P50_MS_C1} ms: {'met' if ok else 'NOT met'})")
        c32 = [m for m in results if m.scenario == scenario and m.server == "authserver"
               and m.connections >= 32]
        for m in c32:
            ok = m.p99_ms <= TARGET_P99_MS_C32
            out.append(f"- {label} c={m.connections} p99 = {m.p99_ms:.2f} ms (target <= "
                       f"{TARGET_P99_MS_C32} ms: {'met' if ok else 'NOT met'})")
    for server in ("authserver", "node-oidc-provider"):
        for conns in cc_conns:
            es, rs = by.get(("cc ES256", server, conns)), by.get(("cc RS256", server, conns))
            if es and rs and es.cpu_ms_per_req:
                out.append(f"- RS256 vs ES256, {server} c={conns}: CPU "
                           f"{rs.cpu_ms_per_req:.2f} vs {es.cpu_ms_per_req:.2f} ms/req "
                           f"({rs.cpu_ms_per_req / es.cpu_ms_per_req:.2f}x), req/s "
                           f"{rs.rps:,.0f} vs {es.rps:,.0f}")
    errs = sum(m.errors for m in results if m.scenario.startswith("cc"))
    out.append(f"- cc errors (non-200, socket errors, timeouts): {errs} "
               f"(target 0: {'met' if errs == 0 else 'NOT met'})")
    return out


def render_report(info: dict[str, str], commands: list[str], results: list[Measurement],
                  notes: list[str], cfg: GunicornConfig, duration: float) -> str:
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"### Run of {today} (commit {info['commit']})",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM; "
        f"Python {info['python']}, Node {info['node']}, oidc-provider {info['oidc-provider']},"
        f" {info['wrk']}.",
        "",
        f"authserver packages: {info['deps']}.",
        "",
        f"gunicorn: {cfg.label()} (deploy/gunicorn.conf.py); node: one process. "
        f"{duration:g} s per measurement, servers measured in alternation, wrk on the same "
        "machine (its CPU is in the last column).",
        "",
        fmt_table(results),
        "",
        *verdicts(results),
        *[f"- {n}" for n in notes],
        "",
        "Commands:",
        "",
        "```",
        *commands,
        "```",
    ]
    return "\n".join(parts) + "\n"


def update_docs(report: str) -> None:
    text = DOCS.read_text() if DOCS.exists() else "# Performance\n"
    block = f"{DOCS_BEGIN}\n{report}{DOCS_END}"
    if DOCS_BEGIN in text and DOCS_END in text:
        head, rest = text.split(DOCS_BEGIN, 1)
        _, tail = rest.split(DOCS_END, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n## Latest benchmark run (bench/run.py)\n\n" + block + "\n"
    DOCS.write_text(text)


# --- main -------------------------------------------------------------------------------


@contextlib.contextmanager
def servers_running(*servers: Server) -> Iterator[None]:
    try:
        yield
    finally:
        for server in servers:
            server.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    p.add_argument("--scenarios", default=",".join(SCENARIOS),
                   help="comma list of: cc (ES256 access token), cc-rs256 (RS256 access "
                        "token), code (auth-code exchange); default: all three")
    p.add_argument("--connections", default="1,32", help="comma list of wrk connection counts")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--worker-class", default="gthread")
    p.add_argument("--no-access-log", action="store_true",
                   help="drop gunicorn's access log (shipped config logs every request)")
    p.add_argument("--gunicorn-arg", action="append", default=[],
                   help="extra gunicorn option, repeatable (e.g. --gunicorn-arg=--backlog=64)")
    p.add_argument("--codes", type=int, default=0,
                   help="codes to mint per code measurement (default: duration x 250)")
    p.add_argument("--profile", action="store_true",
                   help="py-spy one gunicorn worker under cc load, summary in bench/results")
    p.add_argument("--no-node", action="store_true", help="authserver only")
    p.add_argument("--no-docs", action="store_true", help="do not touch docs/performance.md")
    p.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432",
                   help="PostgreSQL server URL (no database)")
    p.add_argument("--admin-db", default="test", help="database to connect to for CREATE")
    p.add_argument("--database", default="authserver_bench", help="recreated on every run")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--port", type=int, default=0,
                   help="authserver's loopback port (default: a free one)")
    p.add_argument("--repeat", type=int, default=1,
                   help="cc/cc-rs256 rounds (servers alternate in each); the median req/s "
                        "is reported")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown:
        raise SystemExit(f"bench: unknown scenario(s) {', '.join(unknown)}; "
                         f"choose from {', '.join(SCENARIOS)}")
    conns = [int(c) for c in args.connections.split(",")]
    RESULTS.mkdir(exist_ok=True)
    ensure_wrk()
    provider_version = "-" if args.no_node else ensure_oidc_provider()
    cfg = GunicornConfig(args.worker_class, args.workers, args.threads,
                         not args.no_access_log, args.gunicorn_arg)

    load_before = loadavg()
    port, env, demo = prepare_authserver(args, rs256="cc-rs256" in scenarios)
    auth = start_authserver(cfg, port, env, demo)
    servers = [auth]
    node = None
    if not args.no_node:
        node = start_node(free_port())
        servers.append(node)
    # The same processes, other credentials/body: authserver's RS256 client, node's RS256
    # resource indicator.
    rs_servers: list[Server] = []
    if "cc-rs256" in scenarios:
        rs = demo["bench_rs256"]
        rs_servers.append(dataclasses.replace(auth, basic=base64.b64encode(
            f"{rs['client_id']}:{rs['client_secret']}".encode()).decode()))
        if node:
            rs_servers.append(dataclasses.replace(node, body=CC_BODY_NODE_RS256))
    results: list[Measurement] = []
    notes: list[str] = []
    commands = [
        "psql: DROP DATABASE IF EXISTS authserver_bench WITH (FORCE); CREATE DATABASE "
        "authserver_bench",
        "authserver db upgrade && authserver demo --json"
        + (" && authserver " + shlex.join(RS256_CLIENT_ARGS) if rs_servers else "")
        + "   # env AUTHSERVER_DATABASE_URL="
        f"postgresql+psycopg://.../{args.database}, AUTHSERVER_MASTER_KEY=<os.urandom(32)>, "
        f"AUTHSERVER_PUBLIC_URL=http://127.0.0.1:{port}, AUTHSERVER_AUTH_CODE_TTL=600",
        shlex.join(gunicorn_command(cfg, port)).replace(str(ROOT) + "/", ""),
        "NODE_ENV=production node bench/node/server.mjs PORT bench-service SECRET",
    ]
    # (scenario label, servers, what the command line's comment adds)
    cc_runs: list[tuple[str, list[Server], dict[str, str]]] = []
    if "cc" in scenarios:
        cc_runs.append(("cc ES256", servers, {}))
    if rs_servers:
        cc_runs.append(("cc RS256", rs_servers, {
            "authserver": f"client {RS256_CLIENT_ID}",
            "node-oidc-provider": f"BENCH_BODY resource={NODE_RS256_RESOURCE}"}))
    with servers_running(*servers):
        for server in servers:
            verify_cc(server)
        for server in rs_servers:
            verify_cc(server, "RS256")
        for server in servers:
            wrk(server, "cc.lua", 8, args.warmup, scenario="warmup", quiet=True)
        for server in rs_servers:
            wrk(server, "cc.lua", 8, args.warmup, scenario="warmup", quiet=True)
        rounds: dict[tuple[str, str, int], list[Measurement]] = {}
        for _ in range(args.repeat):
            for c in conns:
                for scenario, group, _comment in cc_runs:
                    for server in group:
                        m = wrk(server, "cc.lua", c, args.duration, scenario=scenario)
                        rounds.setdefault((scenario, server.name, c), []).append(m)
        for scenario, group, comment in cc_runs:
            for c in conns:
                for server in group:
                    results.append(median(rounds[(scenario, server.name, c)]))
                    extra = f", {comment[server.name]}" if server.name in comment else ""
                    commands.append(
                        f"wrk --latency -t {min(c, 2)} -c {c} -d {args.duration:g}s --timeout 5s "
                        f"-s bench/wrk/cc.lua {server.base_url}{server.token_path}"
                        f"   # BENCH_BASIC, BENCH_TOKEN_PATH, BENCH_WRK_DIR=bench/wrk{extra}")
        if "code" in scenarios:
            results += code_scenario(args, auth, demo, conns, notes, commands)
        if args.profile:
            prof = profile_worker(auth, "cc", "cc.lua", min(args.duration, 10), max(conns))
            if prof:
                notes.append(f"py-spy profile of one worker: {prof.relative_to(ROOT)} "
                             "(summary in bench/results/cc-profile-summary.md)")
    notes.append(f"load average before/after: {load_before} / {loadavg()} (other work on the "
                 "machine competes for the 2 cores; compare ratios, not absolute figures)")
    report = render_report(machine_info(provider_version), commands, results, notes, cfg,
                           args.duration)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"run-{stamp}.json").write_text(json.dumps(
        {"config": cfg.label(), "results": [m.__dict__ for m in results], "notes": notes},
        indent=2))
    print(report)
    if not args.no_docs:
        update_docs(report)
        log(f"updated {DOCS.relative_to(ROOT)}")
    return 0


def code_scenario(args: argparse.Namespace, auth: Server, demo: dict[str, Any],
                  conns: list[int], notes: list[str], commands: list[str]) -> list[Measurement]:
    web = next(c for c in demo["clients"] if c["client_id"] == "demo-web")
    minter = CodeMinter(demo["issuer"], "demo-web", web["redirect_uris"][0],
                        demo["user"]["email"], demo["user"]["password"])
    if not minter.authorize_available():
        notes.append("auth-code exchange: PENDING - GET {issuer}/authorize answers 404 (the "
                     "hosted login is not merged yet); the scenario is implemented "
                     "(bench/run.py CodeMinter, bench/wrk/code.lua) and runs once it exists.")
        log(notes[-1])
        return []
    basic = base64.b64encode(f"demo-web:{web['client_secret']}".encode()).decode()
    exchange = Server(auth.name, auth.base_url, auth.token_path, basic, auth.proc, auth.logfile)
    results = []
    count = args.codes or int(args.duration * 250)
    for c in conns:
        path = RESULTS / f"codes-c{c}.txt"
        try:
            seconds = mint_codes(minter, count, path)
        except (RuntimeError, OSError) as exc:
            notes.append(f"auth-code exchange: could not mint codes over HTTP ({exc})")
            log(notes[-1])
            return results
        log(f"minted {count} codes in {seconds:.1f}s")
        m = wrk(exchange, "code.lua", c, args.duration, {"BENCH_CODES": str(path)},
                scenario="auth code (RS256 ID token)")
        results.append(m)
        commands.append(f"wrk --latency -t {min(c, 2)} -c {c} -d {args.duration:g}s "
                        f"-s bench/wrk/code.lua {auth.base_url}{auth.token_path}"
                        f"   # BENCH_CODES=bench/results/codes-c{c}.txt ({count} codes)")
    if args.profile:
        path = RESULTS / "codes-profile.txt"
        mint_codes(minter, count, path)
        prof = profile_worker(exchange, "code", "code.lua", min(args.duration, 10), max(conns),
                              {"BENCH_CODES": str(path)})
        if prof:
            notes.append(f"py-spy profile of the code exchange: {prof.relative_to(ROOT)}")
    return results


if __name__ == "__main__":
    sys.exit(main())
