"""The URIs a client registers: redirect URIs, its key set URL, its browser origins.

Redirect URIs follow RFC 9700 §4.1: registered in full and later matched exactly, so
nothing that could act as a pattern (wildcards, fragments) is accepted at all.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from authserver.services.errors import InvalidInput
from authserver.services.uris import (
    DEFAULT_PORTS,
    NotAUri,
    canonical_uri,
    internal_host,
    port_of,
)

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def _spelling_problem(uri: str) -> str | None:
    """What makes ``uri`` unusable before it is even parsed, or None."""
    if len(uri) > 2000 or any(c.isspace() for c in uri):
        return "is too long or contains white space"
    if not uri.isascii() or not uri.isprintable():
        return ("is not printable ASCII: percent-encode the path, write the host in "
                "punycode (xn--...)")
    if "*" in uri:
        return "contains a wildcard; redirect URIs are matched exactly"
    if "\\" in uri:
        return "contains a backslash, which browsers read as '/'"
    return None


def _scheme_problem(uri: str, parts: SplitResult, public: bool) -> str | None:
    """What the scheme (and, for http(s), the authority) rules out, or None."""
    if not parts.scheme:
        return "is not an absolute URI"
    if "#" in uri:
        return "must not contain a fragment (RFC 6749 §3.1.2)"
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.hostname:
            return "has no host"
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            return "must not contain user information"
        if scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            return "must use https (http is only for loopback addresses)"
        return None
    if scheme in ("javascript", "data", "vbscript", "file"):
        return "uses a forbidden scheme"
    if not public:
        return "uses a private-use scheme, which only native (public) clients may"
    if "." not in scheme:
        # RFC 8252 §7.1: private-use schemes are reverse domain names.
        return "private-use schemes must be reverse domain names (com.example.app:/cb)"
    return None


def validate_backchannel_logout_uri(uri: str) -> str:
    """Back-Channel Logout 1.0 §2.2: an absolute URI with no fragment; as for redirect
    URIs, https, or http only to a loopback address (the token is a credential for
    ending the RP's session, so it travels in the clear only on this host)."""
    return validate_redirect_uri(uri, "backchannel_logout_uri", public=False)


def validate_redirect_uri(uri: str, field_name: str = "redirect_uri", public: bool = False) -> str:
    def bad(problem: str) -> InvalidInput:
        return InvalidInput(field_name, f"{uri!r} {problem}")

    if problem := _spelling_problem(uri):
        raise bad(problem)
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise bad("is not a valid URI") from None
    if problem := _scheme_problem(uri, parts, public):
        raise bad(problem)
    try:
        canonical = canonical_uri(uri, parts)
    except NotAUri as exc:
        raise bad(str(exc)) from None
    if canonical != uri:
        # Matching is byte for byte (RFC 9700 §4.1.3) and clients send the normalised
        # form, so this spelling could never match: name the one to register.
        raise bad(f"must be written {canonical!r}")
    return uri


def validate_jwks_uri(uri: str, allow_private: bool = False) -> str:
    """An https URL this server will fetch: refused when it names an internal host, so an
    operator's typo or a pasted test value cannot make the server call its own network.
    ``allow_private``: the JWKS_URI_ALLOW_PRIVATE development setting, which the fetch
    honours too (services/remote_jwks.py)."""
    def bad(problem: str) -> InvalidInput:
        return InvalidInput("jwks_uri", f"{uri!r} {problem}")

    if len(uri) > 2000 or not uri.isascii() or not uri.isprintable() or " " in uri:
        raise bad("is too long, contains white space or is not ASCII")
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise bad("is not a valid URL") from None
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidInput("jwks_uri", "must be an https URL")
    if parts.username is not None or "@" in parts.netloc or "#" in uri:
        raise bad("must not contain user information or a fragment")
    try:
        port_of(parts)
    except NotAUri as exc:
        raise bad(str(exc)) from None
    if not allow_private and (problem := internal_host(parts.hostname)):
        raise bad(f"must name a public host: {parts.hostname!r} {problem}")
    return uri


def validate_web_origin(origin: str) -> str:
    """An origin exactly as browsers send it in ``Origin`` (RFC 6454 §6.2): lower-case
    scheme and host, the port only when it is not the scheme's default, nothing else.

    CORS compares origins as strings, so a registered value in any other form would
    silently never match; it is refused with the form to register instead.
    """
    def bad(problem: str) -> InvalidInput:
        return InvalidInput("web_origin", f"{origin!r} {problem}")

    if len(origin) > 300 or any(c.isspace() for c in origin) or not origin.isascii():
        raise bad("is too long, contains white space or is not ASCII (use punycode)")
    parts = urlsplit(origin)
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise bad("is not an http(s) origin such as https://app.example")
    if parts.username is not None or "@" in parts.netloc or "*" in origin:
        raise bad("must be a plain origin: no user information, no wildcard")
    try:
        port = port_of(parts)
    except NotAUri as exc:
        raise bad(str(exc)) from None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        raise bad("must use https (http is only for loopback addresses)")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    canonical = f"{scheme}://{netloc}"
    if origin != canonical:
        extra = parts.path not in ("", "/") or parts.query or parts.fragment or "?" in origin
        raise bad(("is more than an origin, which is only scheme, host and port" if extra
                   else "is not an origin as browsers send it") + f": register {canonical!r}")
    return origin
