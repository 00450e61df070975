"""Bench users for password + TOTP sign-ins, in the database the environment names.

    .venv/bin/python bench/totp_users.py COUNT PASSWORD CLIENT_ID SCOPE OUT

Run by bench/signin.py with the bench server's AUTHSERVER_* environment. Creates COUNT
users bench-<i>@example.com in the demo tenant, all with one argon2 hash of PASSWORD (at
the environment's ARGON2_* parameters, so no sign-in rehashes), each with a confirmed
authenticator app (a seed of its own, sealed as services/totp_enrolment.py seals it) and
remembered consent for CLIENT_ID, so the measured flow is password, code, redirect.
Writes "email seed" lines to OUT. Each user signs in once: a TOTP code is accepted once
per user, so one user cannot be signed in again within the same time step.
"""

from __future__ import annotations

import secrets
import sys

import pyotp

from authserver.runtime import build_runtime
from authserver.services.totp_enrolment import seal_seed
from authserver.storage.models import TotpCredential, User


def main(count: int, password: str, client_id: str, scope: str, out: str) -> None:
    runtime = build_runtime()
    shared_hash = runtime.passwords.hash(password)
    now = runtime.clock()
    lines = []
    with runtime.database.unit_of_work() as uow:
        tenant = uow.tenants.by_slug("demo")
        assert tenant is not None, "run `authserver demo` first"
        users = uow.users(tenant.id)
        for i in range(count):
            user = users.add(User(sub=secrets.token_urlsafe(16), email=f"bench-{i}@example.com",
                                  email_verified=True, password_hash=shared_hash,
                                  password_changed_at=now))
            seed = pyotp.random_base32()
            uow.totp(tenant.id).add(TotpCredential(
                tenant_id=tenant.id, user_id=user.id, confirmed_at=now, last_used_step=0,
                secret_sealed=seal_seed(tenant, runtime.master_key, user.id, seed)))
            uow.consents(tenant.id).add_if_absent(user.id, client_id, scope.split(), now)
            lines.append(f"{user.email} {seed}\n")
    with open(out, "w") as handle:
        handle.writelines(lines)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
