"""Checks a new password against a tenant's PasswordRules (issue 10 item 4): length
(never truncated), a strength estimate by zxcvbn, whose offline frequency lists also
refuse common and breached passwords. History and expiry are not done yet."""

from __future__ import annotations

from zxcvbn import zxcvbn

from authserver.services.account_policy import PasswordRules
from authserver.services.error_codes import ErrorCode, define

ZXCVBN_INPUT_CAP = 100  # zxcvbn's cost grows with length; longer input is long enough

TOO_SHORT = define("AUTH-3001", "password_too_short",
                   "This password is too short.")
TOO_LONG = define("AUTH-3002", "password_too_long", "This password is too long.")
TOO_WEAK = define("AUTH-3003", "password_too_weak",
                  "This password is too easy to guess. Add more words or characters.")


def password_problems(password: str, rules: PasswordRules) -> list[ErrorCode]:
    """Every rule the password breaks, in order; empty when it is acceptable."""
    problems = []
    if len(password) < rules.min_length:
        problems.append(TOO_SHORT)
    if len(password) > rules.max_length:
        problems.append(TOO_LONG)
    if not problems and zxcvbn(password[:ZXCVBN_INPUT_CAP])["score"] < rules.min_score:
        problems.append(TOO_WEAK)
    return problems
