"""What one interaction has done so far, and the one codec that stores it.

The pending-request store keeps a :class:`Progress` between the pages of a sign-in; it
comes back from storage as plain JSON, so reading it is strict: anything that is not
exactly what :func:`progress_to_dict` writes raises :class:`MalformedProgress`, which the
store treats as an expired request (never a server error).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FORMAT = 1
MAX_AMR = 16
MAX_VALUE = 100


class MalformedProgress(ValueError):
    """A stored progress that this codec did not write."""


@dataclass(frozen=True, slots=True)
class AuthResult:
    """Who an authenticator recognised and how (OIDC Core §2: amr, acr, auth_time).

    ``amr`` holds RFC 8176 values ("pwd", "otp", "hwk" …); ``acr`` is the level the
    factors so far reach, as the authenticator that completed them judges it.
    """

    user_id: int
    amr: tuple[str, ...]
    acr: str
    auth_time: dt.datetime

    def then(self, later: AuthResult) -> AuthResult:
        """This result followed by ``later``: a factor for another person starts over."""
        if later.user_id != self.user_id:
            return later
        amr = self.amr + tuple(m for m in later.amr if m not in self.amr)
        return AuthResult(self.user_id, amr, later.acr, later.auth_time)


@dataclass(frozen=True, slots=True)
class Progress:
    """What happened during this interaction (so prompt=login is not asked twice).

    ``logged_in`` means a session was started in this interaction; ``authenticated``
    accumulates the factors presented in it, which may be fewer than the policy needs.
    """

    logged_in: bool = False
    account_chosen: bool = False
    consented: bool = False
    authenticated: AuthResult | None = None

    def so_far(self, result: AuthResult) -> AuthResult:
        """What this interaction has authenticated once ``result`` is added."""
        return self.authenticated.then(result) if self.authenticated else result

    def after_factor(self, result: AuthResult) -> Progress:
        return dataclasses.replace(self, authenticated=self.so_far(result))

    def signed_in(self) -> Progress:
        return dataclasses.replace(self, logged_in=True)

    def account_confirmed(self) -> Progress:
        return dataclasses.replace(self, account_chosen=True)

    def consent_given(self) -> Progress:
        return dataclasses.replace(self, consented=True)


def progress_to_dict(progress: Progress) -> dict[str, Any]:
    done = progress.authenticated
    return {
        "v": FORMAT,
        "logged_in": progress.logged_in,
        "account_chosen": progress.account_chosen,
        "consented": progress.consented,
        "authenticated": None if done is None else {
            "user_id": done.user_id, "amr": list(done.amr), "acr": done.acr,
            "auth_time": done.auth_time.isoformat()},
    }


def progress_from_dict(data: object) -> Progress:
    """The :class:`Progress` that :func:`progress_to_dict` wrote; anything else raises."""
    fields = _exact(data, {"v", "logged_in", "account_chosen", "consented", "authenticated"})
    if fields["v"] != FORMAT or type(fields["v"]) is not int:
        raise MalformedProgress("unknown progress format")
    flags = [fields[name] for name in ("logged_in", "account_chosen", "consented")]
    if any(type(flag) is not bool for flag in flags):
        raise MalformedProgress("progress flags must be booleans")
    done = fields["authenticated"]
    return Progress(*flags, authenticated=None if done is None else _auth_result(done))


def _auth_result(data: object) -> AuthResult:
    fields = _exact(data, {"user_id", "amr", "acr", "auth_time"})
    user_id, amr, acr = fields["user_id"], fields["amr"], fields["acr"]
    if type(user_id) is not int or user_id < 1:
        raise MalformedProgress("user_id must be a positive integer")
    if (not isinstance(amr, list) or not amr or len(amr) > MAX_AMR
            or not all(_short_text(m) for m in amr)):
        raise MalformedProgress("amr must be a short list of method names")
    if not _short_text(acr):
        raise MalformedProgress("acr must be a short string")
    return AuthResult(user_id, tuple(amr), acr, _instant(fields["auth_time"]))


def _exact(data: object, names: set[str]) -> Mapping[str, Any]:
    if not isinstance(data, dict) or set(data) != names:
        raise MalformedProgress(f"expected exactly the fields {sorted(names)}")
    return data


def _short_text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_VALUE


def _instant(value: object) -> dt.datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise MalformedProgress("auth_time must be an ISO 8601 string")
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise MalformedProgress("auth_time is not an ISO 8601 date") from exc
    if instant.utcoffset() is None:
        raise MalformedProgress("auth_time must carry its UTC offset")
    return instant.astimezone(dt.UTC)
