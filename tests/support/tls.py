"""Certificates for the test peers (mail sink, webhook receiver): a throw-away CA and a
server certificate for 127.0.0.1 and localhost, so clients verify TLS for real."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, issuer: str, public_key: Any, signing_key: Any,
                 *, ca: bool) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject))
               .issuer_name(_name(issuer)).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),
                              critical=False))
    if not ca:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            signing_key.public_key()), critical=False)
    return builder


class SinkCertificates:
    """A CA and a server certificate for 127.0.0.1 and localhost, as PEM files in ``folder``."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _certificate("authserver test CA", "authserver test CA", ca_key.public_key(),
                          ca_key, ca=True).add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                          content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False), critical=True)
        server_key = ec.generate_private_key(ec.SECP256R1())
        server = (_certificate("127.0.0.1", "authserver test CA", server_key.public_key(),
                               ca_key, ca=False)
                  .add_extension(x509.SubjectAlternativeName([
                      x509.DNSName("localhost"),
                      x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                  .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                                 critical=False))
        self.cafile = folder / "ca.pem"
        self.certfile = folder / "server.pem"
        self.keyfile = folder / "server-key.pem"
        pem = serialization.Encoding.PEM
        self.cafile.write_bytes(ca.sign(ca_key, hashes.SHA256()).public_bytes(pem))
        self.certfile.write_bytes(server.sign(ca_key, hashes.SHA256()).public_bytes(pem))
        self.keyfile.write_bytes(server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certfile, self.keyfile)
        return context

    def client_context(self) -> ssl.SSLContext:
        """What a client configured with ``cafile`` uses."""
        return ssl.create_default_context(cafile=self.cafile)
