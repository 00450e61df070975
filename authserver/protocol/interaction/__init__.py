"""Interactions: the steps between an authorization request and its code (login, factors,
account choice, consent), decided here and carried out by the hosted pages."""

from authserver.protocol.interaction.progress import (
    AuthResult,
    MalformedProgress,
    Progress,
    progress_from_dict,
    progress_to_dict,
)
from authserver.protocol.interaction.steps import SignedIn, Step, login_too_old, next_step
from authserver.protocol.policies import (
    PASSWORD_ALONE,
    FactorPolicy,
    Level,
    factors_needed,
)

__all__ = [
    "PASSWORD_ALONE", "AuthResult", "FactorPolicy", "Level", "MalformedProgress", "Progress",
    "SignedIn", "Step", "factors_needed", "login_too_old", "next_step", "progress_from_dict",
    "progress_to_dict",
]
