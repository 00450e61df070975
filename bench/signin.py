"""Sign-in benchmark (issue 9): password sign-ins per second through the hosted pages.

    .venv/bin/python bench/signin.py [--duration 30] [--connections 1,2] [--no-docs]
        [--points default,argon2-cffi] [--scenarios signin,signin-totp] [--profile]

Each run: a fresh PostgreSQL database, `authserver db upgrade`, `authserver demo --json`
(bench/run.py's preparation); then, for each argon2 parameter point, gunicorn with the
shipped deploy/gunicorn.conf.py and AUTHSERVER_ARGON2_* set to the point, on a loopback
port. One sign-in is made by bench/run.py's CodeMinter first (it answers the consent page
once, and the demo user's hash is rehashed to the point's parameters), then wrk drives
bench/wrk/signin.lua: GET /authorize -> login page -> POST the form with its CSRF token
-> 303 to the redirect URI with a code, each iteration from a fresh cookie jar (so no
known-device cookie: every attempt takes the full throttle path, per-source bucket
included).

The argon2 ceiling is measured in this process: CPU seconds per verification at the
point's parameters (getrusage, every thread), and ceiling = CPUs / that. Achieved /
ceiling is the share of the machine's CPU left to the hash; the rest is the pages, the
database, wrk and the other work on the machine (the load average is recorded).

Results: a table on stdout, JSON in bench/results/, and the block between the
bench:signin markers of docs/performance.md unless --no-docs.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import resource
import shlex
import subprocess
import sys
import time
import urllib.parse
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from run import (
    DOCS,
    RESULTS,
    ROOT,
    WRK_DIR,
    CodeMinter,
    GunicornConfig,
    Server,
    cpu_seconds,
    ensure_wrk,
    gunicorn_command,
    loadavg,
    log,
    machine_info,
    postgres_pids,
    prepare_authserver,
    start_authserver,
)

from authserver.services.passwords import Argon2Parameters, Passwords

BEGIN, END = "<!-- bench:signin:begin -->", "<!-- bench:signin:end -->"
# The shipped default (Settings) is OWASP's m=19 MiB, t=2, p=1; argon2-cffi's own
# defaults (RFC 9106's second choice) were the parameters before issue 9.
POINTS = {
    "default": Argon2Parameters(19456, 2, 1),
    "argon2-cffi": Argon2Parameters(65536, 3, 4),
    "owasp-46": Argon2Parameters(47104, 1, 1),
}
SCENARIOS = ("signin", "signin-totp")
MAX_DURATION = 60.0
TARGET = 0.9


@dataclass
class Point:
    scenario: str
    label: str
    parameters: str
    connections: int
    signins: int
    broken: int
    seconds: float
    per_second: float
    hash_cpu_ms: float
    ceiling: float
    server_cpu_ms: float
    pg_cpu_ms: float
    wrk_cpu_ms: float
    mean_request_ms: float
    p99_request_ms: float

    @property
    def share(self) -> float:
        return self.per_second / self.ceiling if self.ceiling else 0.0

    @property
    def hash_share(self) -> float:
        """The hash's part of all the CPU a sign-in cost (server, PostgreSQL, wrk): what
        achieved/ceiling would be with nothing else running on the machine."""
        total = self.server_cpu_ms + self.pg_cpu_ms + self.wrk_cpu_ms
        return self.hash_cpu_ms / total if total else 0.0


def hash_cpu_seconds(parameters: Argon2Parameters, budget: float = 2.0) -> float:
    """CPU seconds (all threads of this process) of one verification at ``parameters``."""
    passwords = Passwords(parameters)
    stored = passwords.hash("bench password")
    passwords.verify(stored, "bench password")
    start_wall, start = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
    count = 0
    while count < 5 or time.monotonic() - start_wall < budget:
        passwords.verify(stored, "bench password")
        count += 1
    end = resource.getrusage(resource.RUSAGE_SELF)
    return (end.ru_utime + end.ru_stime - start.ru_utime - start.ru_stime) / count


def authorize_path(demo: dict[str, Any], redirect_uri: str) -> str:
    issuer_path = urllib.parse.urlsplit(demo["issuer"]).path
    # A fixed PKCE challenge and state: the code is never redeemed, only counted.
    return f"{issuer_path}/authorize?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": "demo-web", "redirect_uri": redirect_uri,
        "scope": "openid", "state": "bench", "nonce": "bench",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256"})


def run_wrk(server: Server, connections: int, duration: float,
            env: dict[str, str]) -> dict[str, Any]:
    """wrk with one thread per connection (each thread's Lua state is one browser)."""
    cmd = ["wrk", "--latency", "-t", str(connections), "-c", str(connections),
           "-d", f"{duration:g}s", "--timeout", "10s", "-s", str(WRK_DIR / "signin.lua"),
           server.base_url + "/"]
    pids, pg = server.pids(), postgres_pids()
    cpu_before, pg_before = cpu_seconds(pids), cpu_seconds(pg)
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, env={**os.environ, "BENCH_WRK_DIR": str(WRK_DIR),
                                   "BENCH_THREADS": str(connections), **env},
                         check=True, text=True, capture_output=True).stdout
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = re.search(r"^BENCH (\{.*\})$", out, re.M)
    if not match:
        raise SystemExit(f"bench: no BENCH line in wrk output:\n{out}")
    raw: dict[str, Any] = json.loads(match.group(1))
    raw["server_cpu"] = cpu_seconds(pids) - cpu_before
    raw["pg_cpu"] = max(0.0, cpu_seconds(pg + [p for p in postgres_pids() if p not in pg])
                        - pg_before)
    raw["wrk_cpu"] = (wrk_after.ru_utime + wrk_after.ru_stime
                      - wrk_before.ru_utime - wrk_before.ru_stime)
    print(f"--- signin c={connections}\n{out}", file=sys.stderr)
    return raw


def measure(server: Server, scenario: str, label: str, parameters: Argon2Parameters,
            hash_cpu: float, connections: int, duration: float,
            env: dict[str, str]) -> Point:
    raw = run_wrk(server, connections, duration, env)
    seconds = raw["duration_us"] / 1e6
    done = max(raw["ok"], 1)
    ceiling = (os.cpu_count() or 1) / hash_cpu
    return Point(
        scenario=scenario, label=label, parameters=str(parameters), connections=connections,
        signins=raw["ok"], broken=raw["non200"] + raw["timeouts"] + raw["read_errors"]
        + raw["connect_errors"] + raw["write_errors"], seconds=seconds,
        per_second=raw["ok"] / seconds, hash_cpu_ms=1000 * hash_cpu, ceiling=ceiling,
        server_cpu_ms=1000 * raw["server_cpu"] / done, pg_cpu_ms=1000 * raw["pg_cpu"] / done,
        wrk_cpu_ms=1000 * raw["wrk_cpu"] / done, mean_request_ms=raw["mean_us"] / 1000,
        p99_request_ms=raw["p99_us"] / 1000)


def first_sign_in(demo: dict[str, Any], redirect_uri: str) -> None:
    """One sign-in by CodeMinter: answers consent once and rehashes the demo user's hash."""
    minter = CodeMinter(demo["issuer"], "demo-web", redirect_uri, demo["user"]["email"],
                        demo["user"]["password"])
    minter.mint()


def signin_point(args: argparse.Namespace, cfg: GunicornConfig, port: int,
                 env: dict[str, str], demo: dict[str, Any], label: str,
                 conns: list[int], commands: list[str]) -> list[Point]:
    parameters = POINTS[label]
    web = next(c for c in demo["clients"] if c["client_id"] == "demo-web")
    redirect_uri = web["redirect_uris"][0]
    wrk_env = {"BENCH_AUTHORIZE": authorize_path(demo, redirect_uri),
               "BENCH_REDIRECT": redirect_uri, "BENCH_IDENTIFIER": demo["user"]["email"],
               "BENCH_PASSWORD": demo["user"]["password"]}
    hash_cpu = hash_cpu_seconds(parameters)
    log(f"{label} ({parameters}): {1000 * hash_cpu:.1f} ms CPU per hash, ceiling "
        f"{(os.cpu_count() or 1) / hash_cpu:.1f}/s")
    server = start_authserver(cfg, port, point_env(env, parameters), demo)
    points = []
    try:
        first_sign_in(demo, redirect_uri)
        run_wrk(server, max(conns), min(3.0, args.duration), wrk_env)  # warm-up
        for c in conns:
            points.append(measure(server, "password", label, parameters, hash_cpu, c,
                                  args.duration, wrk_env))
            commands.append(
                f"wrk --latency -t {c} -c {c} -d {args.duration:g}s --timeout 10s "
                f"-s bench/wrk/signin.lua {server.base_url}/   # BENCH_AUTHORIZE, "
                f"BENCH_REDIRECT, BENCH_IDENTIFIER, BENCH_PASSWORD; server env "
                f"AUTHSERVER_ARGON2_MEMORY_KIB={parameters.memory_kib} "
                f"AUTHSERVER_ARGON2_TIME_COST={parameters.time_cost} "
                f"AUTHSERVER_ARGON2_PARALLELISM={parameters.parallelism}")
        if args.profile and label == args.profile:
            profile(server, max(conns), min(args.duration, 20), wrk_env, label)
    finally:
        server.stop()
    return points


def profile(server: Server, connections: int, duration: float, env: dict[str, str],
            label: str) -> None:
    """py-spy (every thread on CPU, GIL or not: argon2 runs without it) on one worker."""
    pyspy = Path(sys.executable).parent / "py-spy"
    if not pyspy.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "py-spy"], check=True)
    worker = next(p for p in server.pids() if p != server.proc.pid)
    out = RESULTS / f"signin-{label}-profile.txt"
    spy = subprocess.Popen([str(pyspy), "record", "--pid", str(worker), "--duration",
                            str(int(duration)), "--rate", "200", "--format", "raw",
                            "--nonblocking", "-o", str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    run_wrk(server, connections, duration, env)
    spy.wait(timeout=duration + 30)
    from signin_profile import summarize

    (RESULTS / f"signin-{label}-profile-summary.md").write_text(summarize(out))
    log(f"profile summary: bench/results/signin-{label}-profile-summary.md")


def point_env(env: dict[str, str], parameters: Argon2Parameters) -> dict[str, str]:
    return {**env, "AUTHSERVER_ARGON2_MEMORY_KIB": str(parameters.memory_kib),
            "AUTHSERVER_ARGON2_TIME_COST": str(parameters.time_cost),
            "AUTHSERVER_ARGON2_PARALLELISM": str(parameters.parallelism)}


def totp_users(env: dict[str, str], demo: dict[str, Any], count: int, chunks: int,
               seconds: float) -> tuple[list[Path], int]:
    """``chunks`` files of bench users (one per wrk run: a user signs in once), each line
    the email and the user's TOTP codes from the current time step on."""
    import pyotp

    seeds = RESULTS / "totp-seeds.txt"
    subprocess.run([sys.executable, str(ROOT / "bench" / "totp_users.py"), str(count),
                    demo["user"]["password"], "demo-web", "openid", str(seeds)],
                   env=env, cwd=ROOT, check=True)
    base = int(time.time()) // 30
    steps = int(seconds // 30) + 4
    lines = []
    for line in seeds.read_text().splitlines():
        email, seed = line.split()
        totp = pyotp.TOTP(seed)
        codes = [totp.at((base + k) * 30) for k in range(steps)]
        lines.append(" ".join([email, *codes]) + "\n")
    files = []
    size = len(lines) // chunks
    for i in range(chunks):
        path = RESULTS / f"totp-users-{i}.txt"
        path.write_text("".join(lines[i * size:(i + 1) * size]))
        files.append(path)
    return files, base


def totp_points(args: argparse.Namespace, cfg: GunicornConfig, port: int,
                env: dict[str, str], demo: dict[str, Any], conns: list[int],
                commands: list[str], notes: list[str]) -> list[Point]:
    """Password + TOTP sign-ins at the default parameters: the demo tenant's second
    factor set to optional (TOTP), bench users from bench/totp_users.py, and signin.lua
    answering the further-factor page with the code for the current time step."""
    if not (ROOT / "authserver" / "services" / "totp_enrolment.py").exists():
        notes.append("password + TOTP: PENDING - authserver/services/totp_enrolment.py is "
                     "not on this branch yet")
        return []
    label = "default"
    parameters = POINTS[label]
    server_env = point_env(env, parameters)
    policy = ["tenant", "update", "demo", "--mfa", "optional", "--mfa-methods", "totp"]
    subprocess.run([str(Path(sys.executable).parent / "authserver"), *policy],
                   env=server_env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    runs = [min(3.0, args.duration)] + [args.duration] * len(conns)
    files, base = totp_users(server_env, demo, args.totp_rate * int(sum(runs) + 1),
                             len(runs), sum(runs) + 60)
    web = next(c for c in demo["clients"] if c["client_id"] == "demo-web")
    wrk_env = {"BENCH_AUTHORIZE": authorize_path(demo, web["redirect_uris"][0]),
               "BENCH_REDIRECT": web["redirect_uris"][0],
               "BENCH_IDENTIFIER": demo["user"]["email"],
               "BENCH_PASSWORD": demo["user"]["password"], "BENCH_TOTP_BASE": str(base)}
    hash_cpu = hash_cpu_seconds(parameters)
    server = start_authserver(cfg, port, server_env, demo)
    points = []
    try:
        run_wrk(server, max(conns), runs[0], {**wrk_env, "BENCH_USERS": str(files[0])})
        for c, users in zip(conns, files[1:], strict=True):
            points.append(measure(server, "password + TOTP", label, parameters, hash_cpu, c,
                                  args.duration, {**wrk_env, "BENCH_USERS": str(users)}))
            commands.append(f"wrk ... -t {c} -c {c} -d {args.duration:g}s -s "
                            "bench/wrk/signin.lua   # + BENCH_USERS (bench/totp_users.py: "
                            f"one user per sign-in), BENCH_TOTP_BASE; authserver "
                            f"{shlex.join(policy)}")
    finally:
        server.stop()
    return points


def fmt_table(points: list[Point]) -> str:
    lines = ["| scenario | argon2 | conns | sign-ins/s | argon2 CPU ms/hash | ceiling/s | "
             "achieved/ceiling | hash / all CPU of a sign-in | server CPU ms/sign-in | "
             "PostgreSQL CPU ms/sign-in | wrk CPU ms/sign-in | mean / p99 ms per request | "
             "broken flows |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for p in points:
        lines.append(
            f"| {p.scenario} | {p.label} ({p.parameters}) | {p.connections} | "
            f"{p.per_second:.1f} | {p.hash_cpu_ms:.1f} | {p.ceiling:.1f} | "
            f"**{100 * p.share:.0f} %** | {100 * p.hash_share:.0f} % | "
            f"{p.server_cpu_ms:.1f} | {p.pg_cpu_ms:.1f} | "
            f"{p.wrk_cpu_ms:.2f} | {p.mean_request_ms:.1f} / {p.p99_request_ms:.1f} | "
            f"{p.broken} |")
    return "\n".join(lines)


def render(info: dict[str, str], cfg: GunicornConfig, points: list[Point], notes: list[str],
           commands: list[str], duration: float) -> str:
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cores = os.cpu_count() or 1
    verdicts = [
        f"- {p.scenario}, {p.label} c={p.connections}: {100 * p.share:.0f} % of the argon2 ceiling "
        f"(target >= {100 * TARGET:.0f} %: {'met' if p.share >= TARGET else 'NOT met'}; "
        f"{100 * p.hash_share:.0f} % on an otherwise idle machine, the hash's part of the "
        "sign-in's CPU); "
        f"beside the hash each sign-in cost {p.server_cpu_ms - p.hash_cpu_ms:.1f} ms of "
        f"server CPU, {p.pg_cpu_ms:.1f} ms of PostgreSQL and {p.wrk_cpu_ms:.2f} ms of wrk"
        for p in points if p.connections == cores]
    return "\n".join([
        f"### Run of {today} (commit {info['commit']})", "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM; Python "
        f"{info['python']}, {info['wrk']}.", "",
        f"authserver packages: {info['deps']}.", "",
        f"gunicorn: {cfg.label()} (deploy/gunicorn.conf.py), PostgreSQL and wrk on the same "
        f"machine; {duration:g} s per measurement after a warm-up; each sign-in from a fresh "
        "cookie jar (3 requests).", "",
        fmt_table(points), "", *verdicts, *[f"- {n}" for n in notes], "",
        "Commands:", "", "```", *commands, "```", ""])


def update_docs(report: str) -> None:
    text = DOCS.read_text()
    block = f"{BEGIN}\n{report}{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Sign-in (issue 9)\n\n" + block + "\n"
    DOCS.write_text(text)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=30.0,
                   help=f"seconds per measurement (at most {MAX_DURATION:g})")
    p.add_argument("--connections", default=f"1,{os.cpu_count() or 1}")
    p.add_argument("--points", default="default,argon2-cffi",
                   help=f"argon2 parameter points: {', '.join(POINTS)}")
    p.add_argument("--scenarios", default=",".join(SCENARIOS))
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--profile", default="", help="py-spy one worker at this point")
    p.add_argument("--totp-rate", type=int, default=60,
                   help="bench users made per second of password + TOTP measurement")
    p.add_argument("--no-docs", action="store_true")
    p.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    p.add_argument("--admin-db", default="test")
    p.add_argument("--database", default="authserver_bench_signin")
    args = p.parse_args(argv)
    args.duration = min(args.duration, MAX_DURATION)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenarios = [s for s in args.scenarios.split(",") if s]
    conns = [int(c) for c in args.connections.split(",")]
    RESULTS.mkdir(exist_ok=True)
    ensure_wrk()
    cfg = GunicornConfig("gthread", args.workers, args.threads)
    load_before = loadavg()
    port, env, demo = prepare_authserver(args)
    points: list[Point] = []
    notes: list[str] = []
    commands = [
        f"psql: DROP DATABASE IF EXISTS {args.database} WITH (FORCE); CREATE DATABASE "
        f"{args.database}",
        "authserver db upgrade && authserver demo --json",
        shlex.join(gunicorn_command(cfg, port)).replace(str(ROOT) + "/", ""),
    ]
    if "signin" in scenarios:
        for label in args.points.split(","):
            points += signin_point(args, cfg, port, env, demo, label, conns, commands)
    if "signin-totp" in scenarios:
        points += totp_points(args, cfg, port, env, demo, conns, commands, notes)
    notes.append(f"load average before/after: {load_before} / {loadavg()} (the benchmark "
                 "itself keeps both cores busy; anything else running lowers achieved/ceiling)")
    report = render(machine_info("-"), cfg, points, notes, commands, args.duration)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"signin-{stamp}.json").write_text(json.dumps(
        {"points": [asdict(p) | {"share": p.share, "hash_share": p.hash_share}
                    for p in points], "notes": notes},
        indent=2))
    print(report)
    if not args.no_docs:
        update_docs(report)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
