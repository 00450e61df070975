"""The URLs an upstream is configured with, built from the tenant's issuer (so they
follow ``AUTHSERVER_PUBLIC_URL``). The web routes serve exactly these paths."""

from __future__ import annotations


def oidc_redirect_uri(issuer: str, idp_name: str) -> str:
    """The redirect URI registered at an upstream OP: one per provider, so the URI a
    response arrives at names the provider it must come from (mix-up defence)."""
    return f"{issuer}/federation/{idp_name}/oidc/callback"


def oidc_jwks_uri(issuer: str, idp_name: str) -> str:
    """Where the upstream OP finds the public key of our ``private_key_jwt``."""
    return f"{issuer}/federation/{idp_name}/oidc/jwks"


def saml_metadata_url(issuer: str, idp_name: str) -> str:
    """The SP metadata document; also the SP's entity id."""
    return f"{issuer}/federation/{idp_name}/saml/metadata"


def saml_entity_id(issuer: str, idp_name: str) -> str:
    return saml_metadata_url(issuer, idp_name)


def saml_acs_url(issuer: str, idp_name: str) -> str:
    """The assertion consumer service (HTTP-POST binding)."""
    return f"{issuer}/federation/{idp_name}/saml/acs"
