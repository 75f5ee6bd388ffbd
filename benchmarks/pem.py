"""Throw-away PEM files for the TLS scenarios, generated on the fly (no key is ever committed)."""

from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject_key, subject: str, issuer_key, issuer: str, *, ca: bool, dns: str | None = None):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=90))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def write_pair(directory: Path, kind: str, cname: str = "ml.contoso.com") -> tuple[Path, Path]:
    """A leaf certificate for ``cname`` and its unencrypted key; returns (cert path, key path).

    ``rsa``: RSA-2048 leaf signed by an RSA-2048 CA, the file holding the chain (leaf + CA), as most
    real certificates are delivered. ``ec``: a self-signed P-256 certificate.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if kind == "rsa":
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca_cert = _certificate(ca_key, "Contoso Bench CA", ca_key, "Contoso Bench CA", ca=True)
        leaf = _certificate(key, cname, ca_key, "Contoso Bench CA", ca=False, dns=cname)
        chain = [leaf, ca_cert]
    elif kind == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
        chain = [_certificate(key, cname, key, cname, ca=False, dns=cname)]
    else:
        raise ValueError(f"unknown key kind {kind!r}")
    cert_path, key_path = directory / f"{kind}-cert.pem", directory / f"{kind}-key.pem"
    cert_path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path
