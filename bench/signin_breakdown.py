"""Where a password sign-in's CPU goes, request by request, in one process.

    PYTHONPATH=. .venv/bin/python bench/signin_breakdown.py [--database-url URL] [-n 30]

Drives the same three requests as bench/wrk/signin.lua (GET /authorize, GET the login
page, POST the form) through the app in this process (Flask's test client, the test
suite's world: tests/support/oauth.py), on a fresh database (SQLite in a temporary
folder, or the PostgreSQL URL given, which must be an empty, disposable database), and
prints for each request the CPU milliseconds (this process only: PostgreSQL's own work
is not in it), the SQL statements and the database transactions, next to one argon2
verification at the same parameters. No server, no network: what is left is the work of
the pages themselves.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from urllib.parse import urlencode

from sqlalchemy import event

from authserver.settings import Settings
from authserver.storage import migrate
from authserver.storage.database import Database
from tests.conftest import MASTER_KEY, Clock
from tests.support.oauth import (
    ISSUER_PATH,
    PASSWORD,
    Pkce,
    authorize_params,
    build_world,
    csrf_of,
    form_action,
)
from tests.support.runtimes import make_app, make_runtime

PHASES = ("GET /authorize", "GET login page", "POST login form")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default="")
    p.add_argument("-n", type=int, default=30, help="sign-ins measured")
    args = p.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/breakdown.db"
    database = Database(url)
    migrate.upgrade(database)
    runtime = make_runtime(Settings(database_url=url, master_key=MASTER_KEY), database,
                           Clock())
    build_world(runtime, first_party=True)
    app = make_app(runtime)
    phase = [""]
    statements: collections.Counter[str] = collections.Counter()
    transactions: collections.Counter[str] = collections.Counter()
    cpu: collections.Counter[str] = collections.Counter()
    event.listen(database.engine, "before_cursor_execute",
                 lambda *_a, **_k: statements.update([phase[0]]))
    event.listen(database.engine.pool, "checkout",
                 lambda *_a: transactions.update([phase[0]]))

    def timed(name: str, call):  # type: ignore[no-untyped-def]
        phase[0] = name
        start = time.process_time()
        response = call()
        cpu[name] += time.process_time() - start
        return response

    def sign_in() -> None:
        http = app.test_client()
        query = urlencode(authorize_params(pkce=Pkce()))
        first = timed(PHASES[0], lambda: http.get(f"{ISSUER_PATH}/authorize?{query}"))
        page = timed(PHASES[1], lambda: http.get(first.headers["Location"]))
        html = page.get_data(as_text=True)
        done = timed(PHASES[2], lambda: http.post(form_action(html), data={
            "csrf_token": csrf_of(html), "identifier": "ann@example.com",
            "password": PASSWORD, "action": "login"}))
        assert done.status_code == 303 and "code=" in done.headers["Location"], done.status

    sign_in()  # warm caches (tenant, client, keys) and templates
    for counter in (statements, transactions, cpu):
        counter.clear()
    for _ in range(args.n):
        sign_in()
    stored = runtime.passwords.hash("x")
    start = time.process_time()
    for _ in range(args.n):
        runtime.passwords.verify(stored, "y")
    hash_ms = 1000 * (time.process_time() - start) / args.n
    print(f"argon2 {runtime.passwords.parameters}: {hash_ms:.1f} ms CPU per verification")
    print("| request | CPU ms | SQL statements | transactions |\n|---|---:|---:|---:|")
    for name in PHASES:
        print(f"| {name} | {1000 * cpu[name] / args.n:.1f} | {statements[name] / args.n:.0f} "
              f"| {transactions[name] / args.n:.0f} |")
    total = 1000 * sum(cpu.values()) / args.n
    print(f"| all three | {total:.1f} (of which the hash {hash_ms:.1f}, the pages "
          f"{total - hash_ms:.1f}) | | |")


if __name__ == "__main__":
    main()
