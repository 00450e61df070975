"""Helpers for tests of the TOTP and recovery-code factors: a tenant and a user to enrol,
and the code an authenticator app would show at a given time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from authserver.runtime import Runtime
from authserver.services import totp_codes
from authserver.services.authn import Submission
from authserver.services.totp_enrolment import TotpEnrolment
from authserver.storage.models import User
from tests.support.oauth import World, build_world


@dataclass
class Person:
    world: World
    tenant_id: int
    user_id: int


def a_person(runtime: Runtime) -> Person:
    world = build_world(runtime)
    with runtime.database.session() as session:
        user = session.query(User).filter_by(email=world.user_email).one()
        return Person(world, user.tenant_id, user.id)


def enrolment(runtime: Runtime, person: Person) -> TotpEnrolment:
    return TotpEnrolment(runtime.database, runtime.master_key, runtime.throttle,
                         person.tenant_id)


def app_code(seed: str, at: dt.datetime, steps: int = 0) -> str:
    """What the app shows at ``at``, ``steps`` time steps later (negative: earlier)."""
    return totp_codes.code_at(seed, totp_codes.current_step(at) + steps)


def code_submission(person: Person, code: str, now: dt.datetime,
                    source: str = "192.0.2.1") -> Submission:
    return Submission({"code": code}, source, None, now, user_id=person.user_id,
                      attempt="uid-1")
