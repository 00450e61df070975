"""The records every part of federation shares: a provider's configuration, what an
upstream said about the person, a pending upstream request, and why one was refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["oidc", "saml", "ldap"]
KINDS: tuple[Kind, ...] = ("oidc", "saml", "ldap")
# How an upstream identity may be linked to a local account that has the same email:
# "verified_email": only when the email is verified (by the upstream, or the provider is
# trusted for it) *and* the person signs in to the local account once; "off": never.
LINKING_POLICIES = ("verified_email", "off")


@dataclass(frozen=True, slots=True)
class IdentityProvider:
    """One tenant's upstream identity provider, as configured (no secrets: those are
    sealed at rest and opened by ``providers.provider_secrets`` when a protocol needs
    them).

    ``name`` is the provider's slug, unique in its tenant and part of its URLs
    (endpoints.py). ``domains`` are lower-case email domains the provider owns
    (home-realm discovery). ``mapping`` maps our fields to upstream claim or attribute
    names: ``email``, ``name``, ``given_name``, ``family_name``, ``username``,
    ``phone_number``, ``groups`` and ``attr:<key>`` for a user attribute.
    ``role_mapping`` maps an upstream group value to role names. ``settings`` holds the
    kind's own non-secret configuration (providers.py documents the keys).
    """

    id: int
    tenant_id: int
    name: str
    kind: Kind
    display_name: str
    enabled: bool = True
    domains: tuple[str, ...] = ()
    jit: bool = True
    linking: str = "verified_email"
    trust_email: bool = False  # the provider's emails count as verified
    require_mfa: bool = False  # the upstream must have done multi-factor
    default_roles: tuple[str, ...] = ()
    mapping: Mapping[str, str] = field(default_factory=dict)
    role_mapping: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UpstreamIdentity:
    """What an upstream proved about the person, as its protocol module read it.

    ``subject`` is the upstream's stable identifier of the person, already qualified by
    the provider so it cannot collide across providers of the same kind: ``iss`` + ``sub``
    for OIDC, IdP entity id + NameID for SAML, the entry's UUID for LDAP (the protocol
    module formats it; accounts.py never links by email alone). ``claims`` are the raw
    upstream claims or attributes (names as the upstream sends them; a SAML or LDAP
    attribute with several values is a list), which the provider's ``mapping`` reads.
    ``email_verified`` is only what the upstream itself asserted.
    """

    subject: str
    email: str | None = None
    email_verified: bool = False
    claims: Mapping[str, Any] = field(default_factory=dict)
    groups: tuple[str, ...] = ()
    amr: tuple[str, ...] = ()  # RFC 8176 values the upstream reported
    acr: str | None = None  # the upstream's acr or SAML AuthnContextClassRef
    auth_time: dt.datetime | None = None  # when the person authenticated upstream


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    """A sign-in sent to an upstream and not yet back: found by its single-use
    ``state`` (OIDC ``state``, SAML ``RelayState``), it says which provider and which
    pending interaction it belongs to. ``payload`` is the kind's own data (the OIDC nonce
    and PKCE verifier, the SAML AuthnRequest ID)."""

    state: str
    tenant_id: int
    idp_id: int
    uid: str  # the pending interaction (services/interactions.py)
    payload: Mapping[str, str]
    created_at: dt.datetime


class Refusal(Exception):
    """An upstream answer, or a directory sign-in, that authserver refuses.

    ``reason`` is a stable dotted code for logs, the audit record and tests
    (``saml.signature_invalid``, ``oidc.iss_mismatch``, ``ldap.unreachable`` …);
    ``detail`` says precisely what was wrong, for the operator (never a secret, a token
    or an assertion). The person sees a plain page, never the detail.
    """

    def __init__(self, reason: str, detail: str, *, status: int = 400) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.status = status
