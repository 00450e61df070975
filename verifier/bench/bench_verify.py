"""Verifications per second: authserver_verifier vs bare cryptography vs PyJWT.

Run:  pip install -e 'verifier[bench]' && python verifier/bench/bench_verify.py

For each algorithm (ES256, RS256, EdDSA) the same token is verified by

* ``bare``: only the signature check, ``public_key.verify(...)`` with a
  pre-loaded key object and pre-computed DER signature: the floor no JWT
  library can beat;
* ``verifier``: ``Verifier.verify`` (signature + typ/alg/kid + iss/aud/exp/...
  + Claims object) over a static JWKS;
* ``pyjwt``: ``jwt.decode`` with the same pre-loaded key object, checking
  iss/aud/exp (PyJWT does not check ``typ``).

Timing is the best of several repeats (least disturbed by other processes).
Not run by the test suite.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from authserver_verifier import Verifier

ISSUER = "https://auth.example.com/t/default"
AUDIENCE = "https://stores.example.com"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk_of(pub: object, kid: str) -> dict:
    if isinstance(pub, ec.EllipticCurvePublicKey):
        n = pub.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "kid": kid,
            "x": b64u(n.x.to_bytes(32, "big")),
            "y": b64u(n.y.to_bytes(32, "big")),
        }
    if isinstance(pub, rsa.RSAPublicKey):
        n = pub.public_numbers()
        return {
            "kty": "RSA",
            "kid": kid,
            "n": b64u(n.n.to_bytes(256, "big")),
            "e": b64u(n.e.to_bytes(3, "big")),
        }
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": b64u(raw)}


def make_case(alg: str) -> dict:
    """Return key, token and a bare-verify closure for ``alg``."""
    if alg == "ES256":
        priv = ec.generate_private_key(ec.SECP256R1())
    elif alg == "RS256":
        priv = rsa.generate_private_key(65537, 2048)
    else:
        priv = ed25519.Ed25519PrivateKey.generate()
    pub = priv.public_key()
    kid = f"{alg.lower()}-1"
    now = int(time.time())
    # Shaped like authserver's access tokens.
    header = {"alg": alg, "typ": "at+jwt", "kid": kid}
    claims = {
        "iss": ISSUER,
        "sub": "user-123",
        "aud": AUDIENCE,
        "exp": now + 3600,
        "iat": now,
        "jti": "b7c9a0d2-6a3e-4f7e-9d1c-2f5e8a9b0c1d",
        "client_id": "stores-web",
        "scope": "openid stores:read stores:write",
    }
    signing_input = (
        b64u(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64u(json.dumps(claims, separators=(",", ":")).encode())
    ).encode()
    if alg == "ES256":
        der = priv.sign(signing_input, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        scheme = ec.ECDSA(hashes.SHA256())
        der_again = encode_dss_signature(r, s)

        def bare() -> None:
            pub.verify(der_again, signing_input, scheme)
    elif alg == "RS256":
        sig = priv.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        pad, h = padding.PKCS1v15(), hashes.SHA256()

        def bare() -> None:
            pub.verify(sig, signing_input, pad, h)
    else:
        sig = priv.sign(signing_input)

        def bare() -> None:
            pub.verify(sig, signing_input)

    token = signing_input.decode() + "." + b64u(sig)
    return {"alg": alg, "pub": pub, "jwk": jwk_of(pub, kid), "token": token, "bare": bare}


def best_per_call(
    fns: dict[str, Callable[[], object]], number: int, repeat: int
) -> dict[str, float]:
    """Best-of-``repeat`` seconds per call for each function.

    Rounds are interleaved (a, b, c, a, b, c, ...) so that a burst of load from
    other processes hits every contender alike instead of skewing one column.
    """
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            best[name] = min(best[name], timeit.timeit(fn, number=number) / number)
    return best


def overhead(cases: list[dict], number: int, repeat: int) -> str:
    """Cost of everything in Verifier.verify except the signature math itself.

    Uses a second verifier whose per-key check is replaced by ``lambda: True``,
    so the number is stable even when the machine is busy and the crypto
    timings are noisy.
    """
    case = cases[0]
    stub = Verifier(
        issuer=ISSUER, audience=AUDIENCE, algorithms=(case["alg"],), jwks={"keys": [case["jwk"]]}
    )
    entry = stub.jwks.get_keyset().by_kid[case["jwk"]["kid"]]
    entry.verifiers[case["alg"]] = lambda signature, data: True  # type: ignore[index]
    token = case["token"]
    stub.verify(token)
    best = best_per_call({"stub": lambda: stub.verify(token)}, number * 5, repeat)["stub"]
    return (
        f"Verifier.verify overhead without the signature check ({case['alg']} token): "
        f"{best * 1e6:.1f} µs per call"
    )


def machine() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next(
                line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")
            )
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    import cryptography

    parts = [
        f"{os.cpu_count()} CPUs ({model})",
        f"Python {platform.python_version()}",
        f"cryptography {cryptography.__version__}",
    ]
    try:
        import jwt

        parts.append(f"PyJWT {jwt.__version__}")
    except ImportError:
        pass
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=2000, help="calls per timing run")
    parser.add_argument("--repeat", type=int, default=7, help="timing runs; best is kept")
    args = parser.parse_args()
    try:
        import jwt
    except ImportError:
        jwt = None
        print("PyJWT not installed (pip install -e 'verifier[bench]'); skipping its column")

    cases = [make_case(alg) for alg in ("ES256", "RS256", "EdDSA")]
    verifier = Verifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        algorithms=("ES256", "RS256", "EdDSA"),
        jwks={"keys": [c["jwk"] for c in cases]},
    )
    print(machine())
    print()
    print("| alg | bare cryptography | Verifier.verify | ratio | PyJWT jwt.decode | PyJWT / ours |")
    print("|---|---|---|---|---|---|")
    for case in cases:
        token, pub = case["token"], case["pub"]
        verifier.verify(token)  # warm the header cache, as in a running server

        def ours(token: str = token) -> None:
            verifier.verify(token)

        fns: dict[str, Callable[[], object]] = {"bare": case["bare"], "ours": ours}
        if jwt is not None:

            def theirs(token: str = token, pub: object = pub, alg: str = case["alg"]) -> None:
                jwt.decode(token, pub, algorithms=[alg], audience=AUDIENCE, issuer=ISSUER)

            fns["pyjwt"] = theirs
        best = best_per_call(fns, args.number, args.repeat)
        bare, mine = best["bare"], best["ours"]
        row = (
            f"| {case['alg']} | {bare * 1e6:.1f} µs ({1 / bare:,.0f}/s) "
            f"| {mine * 1e6:.1f} µs ({1 / mine:,.0f}/s) | {mine / bare:.2f}x "
        )
        if "pyjwt" in best:
            other = best["pyjwt"]
            row += f"| {other * 1e6:.1f} µs ({1 / other:,.0f}/s) | {other / mine:.2f}x |"
        else:
            row += "| n/a | n/a |"
        print(row)
    print()
    print(overhead(cases, args.number, args.repeat))


if __name__ == "__main__":
    main()
