"""The throttle in front of second-factor code checks (TOTP, recovery codes), per user.

Someone at this step already passed the first factor, so the key is the person, not the
source address: spreading guesses over many addresses gains nothing. Each method has its
own bucket (``scope``), so a guesser burning TOTP attempts cannot also block the owner's
way out through a recovery code. A success forgets that method's failures.

Numbers (:data:`SECOND_FACTOR`): 5 failures in an hour are allowed (a person fumbling
with an app, a clock off by a step); then blocks of 5, 10, 20, 40 minutes, at most an
hour, and always ending (no permanent lockout, SECURITY.md). A guesser who holds the
password gets about 8 guesses per 75 minutes, ~150 a day; with three time steps accepted
a 6-digit guess succeeds with probability 3 in 10^6, so about 1 in 2,000 a day, and every
failure is in the audit log for the operator to see long before. Recovery codes carry
50 bits, for which the same numbers make guessing hopeless.
"""

from __future__ import annotations

import datetime as dt

from authserver.services.throttle import Policy, Throttle

SECOND_FACTOR = Policy(limit=5, window=dt.timedelta(hours=1),
                       block=dt.timedelta(minutes=5), max_block=dt.timedelta(hours=1))


class CodeThrottle:
    """One user's bucket for one second-factor method of one tenant."""

    def __init__(self, throttle: Throttle, tenant_id: int, scope: str, user_id: int,
                 policy: Policy = SECOND_FACTOR) -> None:
        self.throttle = throttle
        self.tenant_id = tenant_id
        self.scope = scope
        self.key = f"user:{user_id}"
        self.policy = policy

    def retry_after(self) -> int | None:
        return self.throttle.retry_after(self.tenant_id, self.scope, self.key)

    def failed(self) -> int | None:
        """Count a failure; the block in seconds when this one started one."""
        return self.throttle.failure(self.tenant_id, self.scope, self.key, self.policy)

    def succeeded(self) -> None:
        self.throttle.success(self.tenant_id, self.scope, self.key)
