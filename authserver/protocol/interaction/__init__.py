"""Interactions: the steps between an authorization request and its code (login, factors,
account choice, consent), decided here and carried out by the hosted pages."""

from authserver.protocol.interaction.progress import (
    AuthResult,
    MalformedProgress,
    Progress,
    progress_from_dict,
    progress_to_dict,
)
from authserver.protocol.interaction.steps import (
    EnrolledMethods,
    SignedIn,
    Step,
    factor_step,
    login_too_old,
    next_step,
    signing_in,
)
from authserver.protocol.policies import PASSWORD_ALONE, FactorPolicy

__all__ = [
    "PASSWORD_ALONE", "AuthResult", "EnrolledMethods", "FactorPolicy", "MalformedProgress",
    "Progress", "SignedIn", "Step", "factor_step", "login_too_old", "next_step",
    "progress_from_dict", "progress_to_dict", "signing_in",
]
