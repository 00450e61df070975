"""The one codec of an interaction's Progress: what it writes it reads back, and anything
else is MalformedProgress (read by the store as an expired request, never a 500)."""

from __future__ import annotations

import datetime as dt

import pytest

from authserver.protocol.interaction import (
    AuthResult,
    MalformedProgress,
    Progress,
    progress_from_dict,
    progress_to_dict,
)

WHEN = dt.datetime(2026, 12, 2, 8, 0, 0, 123456, tzinfo=dt.UTC)
DONE = AuthResult(7, ("pwd", "otp"), "2", WHEN)


@pytest.mark.parametrize("progress", [
    Progress(),
    Progress(logged_in=True),
    Progress(account_chosen=True, consented=True),
    Progress(True, True, True, DONE),
])
def test_what_is_written_reads_back_the_same(progress):
    assert progress_from_dict(progress_to_dict(progress)) == progress


GOOD = progress_to_dict(Progress(True, False, True, DONE))


def _with(**changes):
    data = {**GOOD, "authenticated": dict(GOOD["authenticated"])}
    for key, value in changes.items():
        if key.startswith("auth_"):
            data["authenticated"][key[5:]] = value
        else:
            data[key] = value
    return data


@pytest.mark.parametrize("case, data", [
    ("not a dict", ["logged_in"]),
    ("None", None),
    ("missing field", {k: v for k, v in GOOD.items() if k != "consented"}),
    ("extra field", {**GOOD, "admin": True}),
    ("unknown format", _with(v=2)),
    ("format as bool", _with(v=True)),
    ("flag as string", _with(logged_in="yes")),
    ("flag as int", _with(consented=1)),
    ("user id as string", _with(auth_user_id="7")),
    ("user id zero", _with(auth_user_id=0)),
    ("user id bool", _with(auth_user_id=True)),
    ("amr empty", _with(auth_amr=[])),
    ("amr not a list", _with(auth_amr="pwd")),
    ("amr with a number", _with(auth_amr=["pwd", 1])),
    ("amr too long", _with(auth_amr=["pwd"] * 17)),
    ("acr empty", _with(auth_acr="")),
    ("acr too long", _with(auth_acr="x" * 101)),
    ("auth_time naive", _with(auth_auth_time="2026-12-02T08:00:00")),
    ("auth_time garbage", _with(auth_auth_time="yesterday")),
    ("auth_time a number", _with(auth_auth_time=1764662400)),
])
def test_anything_else_is_malformed(case, data):
    with pytest.raises(MalformedProgress):
        progress_from_dict(data)


def test_a_later_factor_adds_its_methods_and_takes_over_acr_and_auth_time():
    later = AuthResult(7, ("otp", "hwk"), "3", WHEN + dt.timedelta(seconds=5))
    assert DONE.then(later) == AuthResult(7, ("pwd", "otp", "hwk"), "3", later.auth_time)


def test_a_factor_for_another_person_starts_over():
    other = AuthResult(8, ("pwd",), "1", WHEN)
    assert Progress(authenticated=DONE).after_factor(other).authenticated == other
