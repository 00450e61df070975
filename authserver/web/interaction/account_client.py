"""The account page's own sign-in, as the interaction pages see it.

The account page (web/account/) is not a registered client: its pending request names a
reserved client id that no registration can take (registered ids are generated, and
never contain a colon), and when its interaction finishes the browser goes back to the
account page instead of receiving a code.
"""

from __future__ import annotations

from authserver.protocol.authorization import AuthorizationRequest
from authserver.protocol.ports import ClientRecord
from authserver.web.context import runtime, tenant

ACCOUNT_CLIENT_ID = "authserver:account"


def account_url() -> str:
    return f"{runtime().issuer(tenant().slug)}/account"


def account_client() -> ClientRecord:
    """First party (no consent), public, and with nothing to be issued."""
    return ClientRecord(
        client_id=ACCOUNT_CLIENT_ID, name="your account", is_public=True, secret_digest=None,
        token_endpoint_auth_method="none", grant_types=(), redirect_uris=(account_url(),),
        post_logout_redirect_uris=(), allowed_scopes=("openid",), first_party=True,
        require_pkce=False, require_state=False, id_token_signed_response_alg="RS256")


def is_account_request(authz: AuthorizationRequest) -> bool:
    return authz.client_id == ACCOUNT_CLIENT_ID
