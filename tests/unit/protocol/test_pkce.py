"""PKCE (protocol/pkce.py): RFC 7636 §4.1-§4.6 with S256 only (RFC 9700 §2.1.1)."""

from __future__ import annotations

import pytest

from authserver.protocol import pkce

# RFC 7636 Appendix B.
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
UNRESERVED = "ABCXYZabcxyz0189-._~"


def test_s256_is_the_example_of_rfc_7636_appendix_b() -> None:
    assert pkce.s256(RFC_VERIFIER) == RFC_CHALLENGE


@pytest.mark.parametrize(("challenge", "valid"), [
    pytest.param(RFC_CHALLENGE, True, id="the RFC's challenge"),
    pytest.param(pkce.s256("x" * 128), True, id="any S256 value"),
    pytest.param(RFC_CHALLENGE[:-1], False, id="42 characters"),
    pytest.param(RFC_CHALLENGE + "A", False, id="44 characters"),
    pytest.param(RFC_CHALLENGE[:-1] + "=", False, id="padding"),
    pytest.param(RFC_CHALLENGE[:-1] + "+", False, id="standard base64's +"),
    pytest.param(RFC_CHALLENGE[:-1] + "/", False, id="standard base64's /"),
    pytest.param(RFC_CHALLENGE[:-1] + ".", False, id="a verifier-only character"),
    pytest.param(RFC_CHALLENGE + "\n", False, id="a trailing newline"),
    pytest.param("", False, id="empty"),
])
def test_a_challenge_must_be_the_base64url_of_a_sha256_digest(challenge: str,
                                                              valid: bool) -> None:
    assert pkce.valid_challenge(challenge) is valid, (
        f"{challenge!r} {'is' if valid else 'is not'} a base64url SHA-256 value")


@pytest.mark.parametrize(("verifier", "challenge", "matches"), [
    pytest.param(RFC_VERIFIER, RFC_CHALLENGE, True, id="the RFC's pair"),
    pytest.param("a" * 43, pkce.s256("a" * 43), True, id="43 characters, the shortest"),
    pytest.param("a" * 128, pkce.s256("a" * 128), True, id="128 characters, the longest"),
    pytest.param(UNRESERVED * 3, pkce.s256(UNRESERVED * 3), True,
                 id="every unreserved character kind"),
    pytest.param("a" * 42, pkce.s256("a" * 42), False, id="42 characters, too short"),
    pytest.param("a" * 129, pkce.s256("a" * 129), False, id="129 characters, too long"),
    pytest.param("a" * 42 + "+", pkce.s256("a" * 42 + "+"), False,
                 id="a character outside the unreserved set"),
    pytest.param("a" * 42 + "\u00e9", pkce.s256("a" * 42 + "\u00e9"), False,
                 id="a non-ASCII character"),
    pytest.param(RFC_VERIFIER[:-1] + "j", RFC_CHALLENGE, False, id="another verifier"),
    pytest.param(RFC_CHALLENGE, RFC_CHALLENGE, False,
                 id="the challenge itself as verifier (plain)"),
    pytest.param(None, RFC_CHALLENGE, False, id="no verifier for a bound code"),
    pytest.param(RFC_VERIFIER, None, False, id="a verifier for a code without a challenge"),
    pytest.param(None, None, True, id="neither"),
])
def test_a_verifier_must_match_the_challenge_the_code_is_bound_to(
    verifier: str | None, challenge: str | None, matches: bool,
) -> None:
    assert pkce.verifier_matches(verifier, challenge) is matches, (
        f"verifier {verifier!r} against challenge {challenge!r}: expected {matches}")
