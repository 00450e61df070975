"""Authorization server metadata (RFC 8414) and OpenID Provider metadata (Discovery 1.0).

Only what is implemented is advertised: relying parties configure themselves from this
document, so a claim of support we do not have is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from authserver.protocol import jws
from authserver.protocol.oidc import SUPPORTED_CLAIMS
from authserver.protocol.registry import AUTH_METHODS, CONFIDENTIAL_AUTH_METHODS, GRANT_TYPE_NAMES


def metadata(issuer: str, signing_algs: Sequence[str], openid: bool,
             acr_values: Sequence[str] = ("1",)) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks",
        "revocation_endpoint": f"{issuer}/revoke",
        "introspection_endpoint": f"{issuer}/introspect",
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": list(GRANT_TYPE_NAMES),
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(jws.SIGNING_ALGS),
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        # RFC 7662 §2.1: introspection is for clients that prove who they are.
        "introspection_endpoint_auth_methods_supported": list(CONFIDENTIAL_AUTH_METHODS),
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
    }
    if openid:
        doc.update({
            "userinfo_endpoint": f"{issuer}/userinfo",
            "end_session_endpoint": f"{issuer}/logout",
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": sorted(signing_algs),
            "claims_supported": list(SUPPORTED_CLAIMS),
            # OIDC Discovery §3; the levels are described in docs/sign-in.md.
            "acr_values_supported": list(acr_values),
            "claims_parameter_supported": True,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "prompt_values_supported": ["none", "login", "consent", "select_account"],
            "display_values_supported": ["page"],
            "claim_types_supported": ["normal"],
            # Back-Channel Logout 1.0 §2.1: logout tokens carry both sid and sub.
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
        })
    return doc
