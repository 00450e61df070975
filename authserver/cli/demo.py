"""``authserver demo``: the development data set and its credentials."""

from __future__ import annotations

from typing import Any

import click

from authserver.cli.common import ACTOR, cli, emit, json_option, runtime


@cli.command()
@json_option
def demo(as_json: bool) -> None:
    """Development only: create (if absent) a demo tenant, clients and user, and print
    their credentials (kept in instance/demo-credentials.json, reused while valid)."""
    from authserver.demo import ensure_demo

    data = ensure_demo(runtime(), ACTOR)  # refuses with AUTHSERVER_ENV=production
    emit(as_json, data, lambda: click.echo(_demo_text(data)))


def _demo_text(data: dict[str, Any]) -> str:
    user = data["user"]
    lines = [f"Demo relying party: {data['demo_rp']}",
             f"  sign in there as {user['email']} with password {user['password']}", "",
             f"Demo tenant issuer: {data['issuer']}",
             f"Discovery:          {data['issuer']}/.well-known/openid-configuration",
             f"JWKS:               {data['jwks_uri']}", ""]
    for c in data["clients"]:
        lines.append(f"{c['name']}: client_id={c['client_id']}"
                     + (f" client_secret={c['client_secret']}" if c.get("client_secret") else ""))
    lines += ["", f"Demo user: {user['email']} / password {user['password']}",
              f"(kept in {data['credentials_file']} and reused by the next `authserver demo`)"]
    return "\n".join(lines)
