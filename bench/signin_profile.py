"""Where a sign-in's server CPU goes: py-spy raw samples (every thread on CPU) of one
gunicorn worker, by inclusive category and by the request being served."""

from __future__ import annotations

import re
from pathlib import Path

# Inclusive: a sample counts for every category one of its frames matches.
CATEGORIES = [
    ("argon2 (hash verification)", ("argon2/", "_argon2_cffi")),
    ("GET /authorize (authorize view)", ("authorize (authserver/web/interaction",
                                         "authorization_endpoint", "def authorize")),
    ("login page and POST (web/interaction)", ("authserver/web/interaction/",)),
    ("password sign-in service (throttle, audit, known device)",
     ("authserver/services/authentication.py",)),
    ("  throttle (services/throttle.py)", ("authserver/services/throttle.py",)),
    ("SQLAlchemy + psycopg (all database work)", ("sqlalchemy/", "psycopg/")),
    ("  connection checkout/commit/rollback", ("_checkout", "commit (sqlalchemy",
                                               "rollback (sqlalchemy", "_finalize_fairy")),
    ("Jinja2 templates", ("jinja2/", "render_template")),
    ("Authlib", ("authlib/",)),
    ("cryptography / JOSE", ("cryptography/", "jwcrypto/", "authserver/protocol/jws")),
    ("Flask/Werkzeug request handling", ("flask/", "werkzeug/")),
    ("gunicorn (accept, parse, write, log)", ("gunicorn/",)),
]


def summarize(path: Path) -> str:
    totals: dict[str, int] = {}
    leaves: dict[str, int] = {}
    samples = 0
    for line in path.read_text().splitlines() if path.exists() else []:
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count, frames = int(count_text), stack.split(";")
        if not any("gunicorn" in f or "flask" in f for f in frames):
            continue  # gunicorn's idle main loop and arbiter, not a request
        samples += count
        for name, keys in CATEGORIES:
            if any(k in frame for frame in frames for k in keys):
                totals[name] = totals.get(name, 0) + count
        leaf = re.sub(r":\d+\)$", ")", frames[-1])
        leaves[leaf] = leaves.get(leaf, 0) + count
    if not samples:
        return "(no samples)\n"
    lines = [f"{samples} samples of request-serving threads in one worker (on CPU).", "",
             "| category (inclusive) | share |", "|---|---:|"]
    for name, _ in CATEGORIES:
        lines.append(f"| {name.replace('  ', '&nbsp;&nbsp;')} | "
                     f"{100 * totals.get(name, 0) / samples:.1f}% |")
    lines += ["", "Top self time (leaf function):", ""]
    for name, count in sorted(leaves.items(), key=lambda kv: -kv[1])[:25]:
        lines.append(f"- {100 * count / samples:4.1f}% {name}")
    return "\n".join(lines) + "\n"
