"""Passkeys end to end at the service level: registration and both sign-in ceremonies on
the real database, with a software authenticator that builds attestations and
assertions by hand (tests/support/soft_authenticator.py), and py_webauthn checking them."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from authserver.runtime import Runtime
from authserver.services.accounts import NewUser, create_user
from authserver.services.authentication import Outcome
from authserver.services.authn.webauthn import PasskeySignIn, RelyingParty
from authserver.services.passkeys import Passkeys, RegistrationRefused
from authserver.services.tenants import create_tenant
from authserver.storage.models import AuditEvent, WebAuthnCredential
from authserver.storage.repositories import AuditRepository, UserRepository
from tests.conftest import Clock
from tests.support.soft_authenticator import SoftPasskey, b64url

RP = RelyingParty("login.example.test", "https://login.example.test", "Passkey Corp")
SESSION = "account-session-1"
ATTEMPT = "interaction-uid-1"
SOURCE = "192.0.2.7"


@dataclass
class World:
    runtime: Runtime
    clock: Clock
    tenant_id: int
    ann: int
    bob: int
    passkeys: Passkeys
    sign_in: PasskeySignIn

    def register(self, user_id: int, key: SoftPasskey, name: str | None = None,
                 session: str = SESSION) -> int:
        options = self.passkeys.registration_options(user_id, session, self.clock())
        return self.passkeys.register(user_id, session, key.create(options), name,
                                      self.clock()).id

    def assert_(self, key: SoftPasskey, user_id: int | None = None, **how: object) -> Outcome:
        options = self.sign_in.options(ATTEMPT, user_id, self.clock())
        attempt = self.sign_in.verify(key.get(options, **how), ATTEMPT, user_id, SOURCE,
                                      self.clock())
        return attempt.outcome

    def audit_actions(self) -> list[str]:
        with self.runtime.database.session() as session:
            return list(session.scalars(select(AuditEvent.action).where(
                AuditEvent.tenant_id == self.tenant_id).order_by(AuditEvent.id)))

    def stored(self, row_id: int) -> WebAuthnCredential:
        with self.runtime.database.session() as session:
            row = session.get(WebAuthnCredential, row_id)
            assert row is not None, f"passkey {row_id} is not stored"
            session.expunge(row)
            return row


@pytest.fixture
def world(runtime: Runtime, clock: Clock) -> World:
    with runtime.database.session() as session:
        tenant = create_tenant(session, runtime.master_key, runtime.key_timing, "pk",
                               "Passkey Corp", "test", clock())
        users, audit = UserRepository(session, tenant.id), AuditRepository(session, tenant.id)
        ann = create_user(users, audit, NewUser("ann@example.com", None, given_name="Ann"),
                          "test", clock(), runtime.passwords)
        bob = create_user(users, audit, NewUser("bob@example.com", None), "test", clock(),
                          runtime.passwords)
        session.commit()
        ids = tenant.id, ann.id, bob.id
    return World(runtime, clock, ids[0], ids[1], ids[2],
                 Passkeys(runtime.database, ids[0], RP),
                 PasskeySignIn(runtime.database, runtime.throttle, ids[0], RP))


def key() -> SoftPasskey:
    return SoftPasskey(RP.rp_id, RP.origin)


def test_registration_options_ask_for_a_discoverable_verified_es256_or_rs256_key(
        world: World) -> None:
    first = key()
    world.register(world.ann, first)
    options = json.loads(world.passkeys.registration_options(world.ann, SESSION, world.clock()))
    assert options["rp"] == {"id": "login.example.test", "name": "Passkey Corp"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -257]
    assert [c["id"] for c in options["excludeCredentials"]] == [b64url(first.credential_id)]
    with world.runtime.database.session() as session:
        sub = UserRepository(session, world.tenant_id).by_email("ann@example.com").sub
    assert options["user"]["id"] == b64url(sub.encode()), "user.id must be the opaque sub"


def test_registration_is_verified_and_stored_with_a_default_name(world: World) -> None:
    first = world.register(world.ann, key())
    second = world.register(world.ann, key(), name="  Laptop ")
    row = world.stored(first)
    assert (row.name, row.sign_count, row.transports, row.backup_eligible) == (
        "Passkey 1", 0, "internal", False)
    assert world.stored(second).name == "Laptop"
    assert [p.name for p in world.passkeys.list(world.ann)] == ["Passkey 1", "Laptop"]
    assert world.audit_actions().count("passkey.registered") == 2


@pytest.mark.parametrize("tamper", [
    {"origin": "https://evil.example"},
    {"rp_id": "evil.example"},
    {"challenge": b64url(b"\x01" * 32)},
    {"verified": False},
], ids=["wrong-origin", "wrong-rp-id", "wrong-challenge", "no-user-verification"])
def test_registration_refused(world: World, tamper: dict[str, object]) -> None:
    options = world.passkeys.registration_options(world.ann, SESSION, world.clock())
    with pytest.raises(RegistrationRefused, match="could not be registered"):
        world.passkeys.register(world.ann, SESSION, key().create(options, **tamper), None,
                                world.clock())
    assert world.passkeys.list(world.ann) == []
    assert world.audit_actions()[-1] == "passkey.registration_failed"


def test_registration_challenge_is_single_use_bound_to_the_session_and_expires(
        world: World) -> None:
    options = world.passkeys.registration_options(world.ann, SESSION, world.clock())
    response = key().create(options)
    with pytest.raises(RegistrationRefused, match="expired"):
        world.passkeys.register(world.ann, "another-session", response, None, world.clock())
    world.passkeys.register(world.ann, SESSION, response, None, world.clock())
    with pytest.raises(RegistrationRefused, match="expired"):  # the same answer again
        world.passkeys.register(world.ann, SESSION, response, None, world.clock())
    late = world.passkeys.registration_options(world.ann, SESSION, world.clock())
    world.clock.advance(minutes=6)
    with pytest.raises(RegistrationRefused, match="expired"):
        world.passkeys.register(world.ann, SESSION, key().create(late), None, world.clock())


@pytest.mark.parametrize("garbage", ["", "{", "[]", '{"id": 1}', "x" * 70_000,
                                     '{"id":"AA","rawId":"AA","type":"public-key",'
                                     '"response":{"clientDataJSON":"!!","attestationObject":"AA"}}'])
def test_malformed_registration_answers_are_refused_plainly(world: World, garbage: str) -> None:
    world.passkeys.registration_options(world.ann, SESSION, world.clock())
    with pytest.raises(RegistrationRefused):
        world.passkeys.register(world.ann, SESSION, garbage, None, world.clock())


def test_username_less_sign_in_is_multi_factor(world: World) -> None:
    device, synced = key(), dataclasses.replace(key(), synced=True)
    world.register(world.ann, device)
    world.register(world.bob, synced)
    options = json.loads(world.sign_in.options(ATTEMPT, None, world.clock()))
    assert (options["allowCredentials"], options["userVerification"]) == ([], "required")
    attempt = world.sign_in.verify(device.get(json.dumps(options)), ATTEMPT, None, SOURCE,
                                   world.clock())
    assert attempt.outcome is Outcome.SIGNED_IN and attempt.result is not None
    assert (attempt.result.user_id, attempt.result.amr, attempt.result.acr) == (
        world.ann, ("hwk", "mfa"), "2")
    options = world.sign_in.options(ATTEMPT, None, world.clock())
    result = world.sign_in.verify(synced.get(options), ATTEMPT, None, SOURCE, world.clock())
    assert result.result is not None and result.result.amr == ("swk", "mfa")
    assert result.result.user_id == world.bob


def test_username_less_sign_in_requires_user_verification(world: World) -> None:
    passkey = key()
    world.register(world.ann, passkey)
    assert world.assert_(passkey, verified=False) is Outcome.REFUSED


def test_replayed_assertion_is_refused(world: World) -> None:
    passkey = key()
    world.register(world.ann, passkey)
    options = world.sign_in.options(ATTEMPT, None, world.clock())
    assertion = passkey.get(options)
    first = world.sign_in.verify(assertion, ATTEMPT, None, SOURCE, world.clock())
    again = world.sign_in.verify(assertion, ATTEMPT, None, SOURCE, world.clock())
    assert (first.outcome, again.outcome) == (Outcome.SIGNED_IN, Outcome.REFUSED)


@pytest.mark.parametrize("tamper", [{"origin": "https://evil.example"},
                                    {"challenge": b64url(b"\x02" * 32)}],
                         ids=["wrong-origin", "wrong-challenge"])
def test_assertion_for_another_origin_or_challenge_is_refused(
        world: World, tamper: dict[str, object]) -> None:
    passkey = key()
    world.register(world.ann, passkey)
    assert world.assert_(passkey, **tamper) is Outcome.REFUSED


def test_assertion_for_another_rp_id_is_refused(world: World) -> None:
    passkey = key()
    world.register(world.ann, passkey)
    elsewhere = PasskeySignIn(world.runtime.database, world.runtime.throttle, world.tenant_id,
                              RelyingParty("evil.example", RP.origin, "Evil"))
    options = elsewhere.options(ATTEMPT, None, world.clock())
    attempt = world.sign_in.verify(passkey.get(options), ATTEMPT, None, SOURCE, world.clock())
    assert attempt.outcome is Outcome.REFUSED


def test_a_counter_that_goes_backwards_is_refused_and_audited(world: World) -> None:
    passkey = key()
    row = world.register(world.ann, passkey)
    assert world.assert_(passkey) is Outcome.SIGNED_IN
    assert world.assert_(passkey) is Outcome.SIGNED_IN
    assert world.stored(row).sign_count == 2
    clone = dataclasses.replace(passkey, sign_count=0)  # a copy of the key, counting anew
    assert world.assert_(clone) is Outcome.REFUSED
    assert "passkey.counter_regressed" in world.audit_actions()
    assert world.stored(row).sign_count == 2


def test_keys_that_never_count_keep_working(world: World) -> None:
    passkey = dataclasses.replace(key(), sign_count=None)
    row = world.register(world.ann, passkey)
    assert [world.assert_(passkey) for _ in range(2)] == [Outcome.SIGNED_IN] * 2
    stored = world.stored(row)
    assert (stored.sign_count, stored.last_used_at) == (0, world.clock())


def test_user_handle_must_name_the_credentials_owner(world: World) -> None:
    passkey = key()
    world.register(world.ann, passkey)
    world.register(world.bob, key())
    with world.runtime.database.session() as session:
        bob_sub = UserRepository(session, world.tenant_id).by_email("bob@example.com").sub
    assert world.assert_(passkey, user_handle=bob_sub.encode()) is Outcome.REFUSED
    assert world.audit_actions()[-1] == "passkey.failed"


def test_second_factor_offers_and_accepts_only_the_persons_credentials(world: World) -> None:
    mine, theirs = key(), key()
    world.register(world.ann, mine)
    world.register(world.bob, theirs)
    options = json.loads(world.sign_in.options(ATTEMPT, world.ann, world.clock()))
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(mine.credential_id)]
    assert options["userVerification"] == "preferred"
    assert world.assert_(theirs, world.ann) is Outcome.REFUSED
    attempt = world.sign_in.verify(mine.get(world.sign_in.options(ATTEMPT, world.ann,
                                                                  world.clock()), verified=False),
                                   ATTEMPT, world.ann, SOURCE, world.clock())
    assert attempt.result is not None and attempt.result.amr == ("hwk",)
    options = world.sign_in.options(ATTEMPT, world.ann, world.clock())
    verified = world.sign_in.verify(mine.get(options), ATTEMPT, world.ann, SOURCE, world.clock())
    assert verified.result is not None and verified.result.amr == ("hwk", "mfa")


def test_second_factor_challenge_does_not_serve_username_less_sign_in(world: World) -> None:
    passkey = key()
    world.register(world.ann, passkey)
    options = world.sign_in.options(ATTEMPT, world.ann, world.clock())
    attempt = world.sign_in.verify(passkey.get(options), ATTEMPT, None, SOURCE, world.clock())
    assert attempt.outcome is Outcome.REFUSED


def test_failures_are_throttled_per_source(world: World) -> None:
    passkey = key()
    world.register(world.ann, passkey)
    for _ in range(20):
        world.sign_in.verify("{}", ATTEMPT, None, SOURCE, world.clock())
    blocked = world.sign_in.verify("{}", ATTEMPT, None, SOURCE, world.clock())
    assert blocked.outcome is Outcome.THROTTLED and blocked.retry_after
    options = world.sign_in.options(ATTEMPT, None, world.clock())
    elsewhere = world.sign_in.verify(passkey.get(options), ATTEMPT, None, "198.51.100.1",
                                     world.clock())
    assert elsewhere.outcome is Outcome.SIGNED_IN, "another source must not be blocked"


def test_rename_and_remove_are_the_owners_only_and_audited(world: World) -> None:
    row = world.register(world.ann, key())
    with pytest.raises(Exception, match="does not exist"):
        world.passkeys.rename(world.bob, row, "Mine now", "user:bob")
    with pytest.raises(Exception, match="does not exist"):
        world.passkeys.remove(world.bob, row, "user:bob")
    assert world.passkeys.rename(world.ann, row, " Phone ", "user:ann") == "Phone"
    world.passkeys.remove(world.ann, row, "user:ann")
    assert world.passkeys.list(world.ann) == []
    assert world.audit_actions()[-2:] == ["passkey.renamed", "passkey.removed"]


def test_removed_passkey_no_longer_signs_in(world: World) -> None:
    passkey = key()
    row = world.register(world.ann, passkey)
    world.passkeys.remove(world.ann, row, "user:ann")
    assert world.assert_(passkey) is Outcome.REFUSED
