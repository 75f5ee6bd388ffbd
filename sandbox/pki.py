"""The sandbox's one PKI helper: CAs and certificates with `cryptography` (EC P-256: milliseconds per key).

``ensure_certificates(state_dir)`` makes the sandbox's own CA and its server certificate for 127.0.0.1/localhost,
kept in the state directory so that a restart keeps the CA that clients already trust. The primitives
(``new_ca``, ``issue``, ``name``, ``key_pem``, ``cert_pem``, ``write_private``) are for any other building
that needs certificates (a cluster's own CA, API-server and client certificates); ``self_signed`` gives the
throwaway certificate-and-key PEM pair a seed or a demo world hands to the collection (a v1 azureml-fe's
``azuremlfessl``, the fleet's valid and expired certificates for a TLS name).
"""
from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import ssl
from pathlib import Path
from typing import Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ORGANISATION = "azureml.kubernetes sandbox"


def write_private(path: Path, data: bytes) -> None:
    """Write a key file readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT: tighten it too
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def name(common_name: str, organisation: Optional[str] = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    return x509.Name(attributes)


def new_ca(subject: x509.Name, days: int = 3650) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A self-signed CA (path length 0) and its key."""
    now = _dt.datetime.now(_dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(days=1)).not_valid_after(now + _dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ca_cert, ca_key


def issue(ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, subject: x509.Name,
          usage: x509.ObjectIdentifier, sans: Optional[list[x509.GeneralName]] = None,
          days: int = 825) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A leaf certificate (and its new key) for ``usage`` (SERVER_AUTH or CLIENT_AUTH), signed by the CA."""
    now = _dt.datetime.now(_dt.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(days=1)).not_valid_after(now + _dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def self_signed(common_name: str, not_before: Optional[_dt.datetime] = None,
                not_after: Optional[_dt.datetime] = None) -> tuple[bytes, bytes]:
    """A self-signed leaf for ``common_name`` (its subject CN and only DNS SAN) and its unencrypted PKCS#8
    key, as PEM: ``(certificate, key)``. Valid from ``not_before`` (default: a day ago) to ``not_after``
    (default: a year from now); pass dates in the past for an expired one."""
    now = _dt.datetime.now(_dt.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = name(common_name)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - _dt.timedelta(days=1))
        .not_valid_after(not_after or now + _dt.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert_pem(cert), key_pem(key)


def ensure_certificates(state_dir: Path) -> tuple[Path, Path, Path]:
    """Create (once) ca.pem, ca-key.pem, server.pem, server-key.pem; return (ca, cert, key)."""
    ca_path, ca_key_path = state_dir / "ca.pem", state_dir / "ca-key.pem"
    cert_path, key_path = state_dir / "server.pem", state_dir / "server-key.pem"
    if all(p.exists() for p in (ca_path, ca_key_path, cert_path, key_path)):
        return ca_path, cert_path, key_path
    ca_cert, ca_key = new_ca(name("AML Sandbox Local CA", ORGANISATION))
    cert, key = issue(ca_cert, ca_key, name("localhost"), ExtendedKeyUsageOID.SERVER_AUTH,
                      [x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")), x509.DNSName("localhost")])
    write_private(ca_key_path, key_pem(ca_key))
    write_private(key_path, key_pem(key))
    cert_path.write_bytes(cert_pem(cert))
    ca_path.write_bytes(cert_pem(ca_cert))
    return ca_path, cert_path, key_path


def server_ssl_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    """TLS context for the aiohttp server."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert_path), str(key_path))
    return ctx
