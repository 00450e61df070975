"""How strongly a person must authenticate (OIDC Core §3.1.2.1 acr_values, §5.5.1.1 acr
claim request; RFC 8176 amr values).

Two authentication levels, published as ``acr_values_supported``:

- ``"1"``: one factor (a password, a passkey without user verification, an emailed link,
  an SMS code for phone-only sign-in);
- ``"2"``: multi-factor, i.e. factors from at least two of knowledge / possession /
  inherence, or one factor that is multi-factor by itself (a passkey with user
  verification, which its authenticator reports as ``mfa``).

The level a sign-in must reach is the higher of what the client asked for and what the
tenant's :class:`FactorPolicy` demands of this person (second factor ``off``,
``optional``: required once the person enrolled one, ``required``: everyone, enrolling at
the next sign-in if they have none). The pages ask for whatever this module says is
missing, so a factor plugs in here, not in a page.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ACR_SINGLE = "1"
ACR_MULTI = "2"
ACR_VALUES = (ACR_SINGLE, ACR_MULTI)

# The second-factor methods a tenant may offer (``--mfa-methods``), and the RFC 8176 amr
# value each one adds (a passkey adds "hwk" or "swk", see authn/webauthn).
SECOND_FACTOR_METHODS = ("totp", "sms", "email", "webauthn")
METHOD_AMR = {"totp": "otp", "sms": "sms", "email": "mail", "webauthn": "hwk",
              "recovery": "otp", "pwd": "pwd"}
# Every account has one without setting it up (its email address): usable when a second
# factor is needed, but not a sign that the person opted in to one ("optional" mode).
IMPLICIT_METHODS = frozenset({"email"})

# RFC 8176 §2 values by the factor category they prove. "mail" is not registered there;
# it is what an emailed code or link proves (control of the mailbox), like "sms".
_KNOWLEDGE = frozenset({"pwd", "pin", "kba"})
_POSSESSION = frozenset({"otp", "sms", "mail", "hwk", "swk", "tel", "sc"})
_INHERENCE = frozenset({"fpt", "face", "iris", "retina", "vbm"})
MFA = "mfa"


class SecondFactor(enum.StrEnum):
    OFF = "off"
    OPTIONAL = "optional"
    REQUIRED = "required"


def is_multi_factor(amr: Collection[str]) -> bool:
    """Whether ``amr`` proves factors of two categories (or one multi-factor method)."""
    if MFA in amr:
        return True
    present = set(amr)
    return sum(1 for category in (_KNOWLEDGE, _POSSESSION, _INHERENCE)
               if present & category) >= 2


def with_mfa(amr: Iterable[str]) -> tuple[str, ...]:
    """``amr`` as the tokens carry it: "mfa" added once it is multi-factor (RFC 8176 §2)."""
    values = tuple(dict.fromkeys(amr))
    if is_multi_factor(values) and MFA not in values:
        return (*values, MFA)
    return values


def completes(method: str, done: Collection[str]) -> bool:
    """Whether ``method`` after the factors in ``done`` makes a multi-factor sign-in: a
    code after an emailed link is a second possession factor, not a second kind, so after
    a passwordless first factor the password (or a passkey, which verifies the user by
    itself) is what helps."""
    return method == "webauthn" or is_multi_factor({*done, METHOD_AMR.get(method, method)})


def acr_for(amr: Collection[str]) -> str:
    """The level the factors in ``amr`` reach."""
    return ACR_MULTI if is_multi_factor(amr) else ACR_SINGLE


def requested_acr(acr_values: str | None, claims: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The acr values the client asked for, most binding first: an essential ``acr``
    claim request (OIDC Core §5.5.1.1), then ``acr_values`` in the client's order."""
    asked: list[str] = []
    for member in ("id_token", "userinfo"):
        request = (claims or {}).get(member)
        acr = request.get("acr") if isinstance(request, dict) else None
        if isinstance(acr, dict) and acr.get("essential") is True:
            values = acr.get("values") or ([acr["value"]] if "value" in acr else [])
            if isinstance(values, list):
                asked.extend(v for v in values if isinstance(v, str))
    asked.extend((acr_values or "").split())
    return tuple(asked)


@dataclass(frozen=True, slots=True)
class FactorPolicy:
    """A tenant's sign-in rules; ``methods`` are the second factors it offers."""

    second_factor: SecondFactor = SecondFactor.OFF
    methods: frozenset[str] = frozenset(SECOND_FACTOR_METHODS)
    magic_links: bool = False
    phone_sign_in: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.methods) - set(SECOND_FACTOR_METHODS)
        if unknown:
            raise ValueError(f"unknown second-factor methods: {sorted(unknown)}")

    @property
    def acr_values_supported(self) -> tuple[str, ...]:
        if self.second_factor is SecondFactor.OFF:
            return (ACR_SINGLE,)
        return ACR_VALUES

    @property
    def depends_on_enrolment(self) -> bool:
        """Whether what a person has set up matters (so the caller need not look it up)."""
        return self.second_factor is not SecondFactor.OFF

    def offers(self, method: str) -> bool:
        """Whether ``method`` is a second factor here (asked at sign-in, set up on the
        account page)."""
        return self.depends_on_enrolment and method in self.methods

    def usable(self, enrolled: Collection[str]) -> frozenset[str]:
        """The person's enrolled methods this tenant accepts as a second factor."""
        if self.second_factor is SecondFactor.OFF:
            return frozenset()
        return self.methods & frozenset(enrolled)

    def target(self, requested: Collection[str], enrolled: Collection[str]) -> str:
        """The level this sign-in must reach: the client's request (the first value this
        tenant offers; voluntary requests never lower it) or the tenant's rule."""
        offered = self.acr_values_supported
        asked = next((acr for acr in requested if acr in offered), ACR_SINGLE)
        if asked == ACR_MULTI or self.second_factor is SecondFactor.REQUIRED:
            return ACR_MULTI
        if (self.second_factor is SecondFactor.OPTIONAL
                and self.usable(enrolled) - IMPLICIT_METHODS):
            return ACR_MULTI
        return ACR_SINGLE


PASSWORD_ALONE = FactorPolicy()


def satisfied(target: str, amr: Collection[str]) -> bool:
    """Whether the factors in ``amr`` reach level ``target``."""
    if not amr:
        return False
    return target != ACR_MULTI or is_multi_factor(amr)


def must_enrol(target: str, amr: Collection[str], policy: FactorPolicy,
               enrolled: Collection[str]) -> bool:
    """More factors are needed but the person has none this tenant accepts: they set one
    up now (enrolment forced at sign-in)."""
    return not satisfied(target, amr) and not policy.usable(enrolled)
