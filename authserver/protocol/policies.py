"""Which authentication factors a sign-in still needs (OIDC Core §3.1.2.1 acr_values).

A tenant offers one or more authentication levels, each an ``acr`` value reached by a set
of RFC 8176 ``amr`` factors. The client's ``acr_values`` is a voluntary request (OIDC Core
§3.1.2.1, §5.5.1.1): the first level named there that the tenant offers is the target;
otherwise the tenant's default level. The pages ask for whatever :func:`factors_needed`
returns, so a second factor, a passkey, a magic link or an upstream IdP plugs in here,
not in a page.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Level:
    """An ``acr`` value and the factors that must all have been presented to reach it."""

    acr: str
    factors: frozenset[str]


@dataclass(frozen=True, slots=True)
class FactorPolicy:
    """A tenant's authentication levels; the first is the default."""

    levels: tuple[Level, ...]

    def __post_init__(self) -> None:
        if not self.levels:
            raise ValueError("a factor policy needs at least one level")

    def target(self, requested_acr_values: str | None) -> Level:
        offered = {level.acr: level for level in self.levels}
        for acr in (requested_acr_values or "").split():
            if acr in offered:
                return offered[acr]
        return self.levels[0]


# Today's rule for every tenant: a password alone signs a person in, at acr "1"
# (single-factor); the account-security work adds stronger levels.
PASSWORD_ALONE = FactorPolicy((Level("1", frozenset({"pwd"})),))


def factors_needed(requested_acr_values: str | None, policy: FactorPolicy,
                   done: Collection[str]) -> frozenset[str]:
    """The ``amr`` factors still missing after ``done``; empty when sign-in is complete."""
    return policy.target(requested_acr_values).factors - frozenset(done)
