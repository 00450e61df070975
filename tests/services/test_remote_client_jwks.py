"""A private_key_jwt client registered with a jwks_uri: its keys are fetched over https."""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from authserver.services.remote_jwks import MAX_BYTES, fetch_jwks

JWKS = {"keys": [{"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                  "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "kid": "k1"}]}


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def https_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:  # type: ignore[type-arg]
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust our test CA, nothing else changes
    state: dict = {"body": json.dumps(JWKS).encode(), "hits": 0}  # type: ignore[type-arg]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state["hits"] += 1
            if state.get("redirect"):
                self.send_response(302)
                self.send_header("Location", state["redirect"])
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(state["body"])

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"https://127.0.0.1:{server.server_address[1]}/jwks"
    yield state
    server.shutdown()


def test_the_key_set_is_fetched_over_https(https_server: dict) -> None:  # type: ignore[type-arg]
    assert fetch_jwks(https_server["url"]) == JWKS


def test_plain_http_is_never_fetched(https_server: dict) -> None:  # type: ignore[type-arg]
    assert fetch_jwks(https_server["url"].replace("https://", "http://")) is None
    assert https_server["hits"] == 0


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"keys": 3}',
                                  b'{"keys": []' + b" " * MAX_BYTES + b"}"])
def test_bad_or_oversized_key_sets_are_refused(https_server: dict, body: bytes) -> None:  # type: ignore[type-arg]
    https_server["body"] = body
    assert fetch_jwks(https_server["url"]) is None


def test_an_unreachable_endpoint_is_refused() -> None:
    assert fetch_jwks("https://127.0.0.1:1/jwks") is None



def test_redirects_are_not_followed(https_server: dict) -> None:  # type: ignore[type-arg]
    # https -> http (or an internal address) via a redirect would dodge the https-only rule.
    https_server["redirect"] = "http://127.0.0.1:1/jwks"
    assert fetch_jwks(https_server["url"]) is None
    assert https_server["hits"] == 1
