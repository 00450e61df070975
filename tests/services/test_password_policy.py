from authserver.services.account_policy import PasswordRules
from authserver.services.password_policy import TOO_LONG, TOO_SHORT, TOO_WEAK, password_problems

RULES = PasswordRules(min_length=12, max_length=128, min_score=3)


def test_short_password_is_refused():
    assert password_problems("k7#vQ!x", RULES) == [TOO_SHORT], "short password accepted"


def test_long_password_is_refused_not_truncated():
    assert password_problems("q" * 129, RULES) == [TOO_LONG], "overlong password accepted"


def test_common_password_is_refused():
    assert password_problems("password1234", RULES) == [TOO_WEAK], "common password passed"


def test_strong_password_is_accepted():
    assert password_problems("correct horse battery staple 91", RULES) == [], \
        "a strong password was refused"
