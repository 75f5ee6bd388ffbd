# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificates and keys for tests and benchmarks, generated on the fly, so no key file is ever committed.

The one PKI helper of the repository (unit tests, integration tests, benchmarks). Low level:
``rsa_key``/``ec_key``, ``certificate`` (self-signed or issued, valid, expired or not yet valid, CA or
leaf), ``cert_pem``/``key_pem`` (PKCS#8 or traditional, with or without a passphrase), ``write``.
High level: ``ca()`` and ``issue()`` give an ``Issued`` (key + certificate), ``write_pair`` writes a
certificate file (optionally a whole chain) and a key file (optionally passphrase-protected, or the key of
another certificate: a mismatched pair) and returns a ``PemPair``.
"""

from __future__ import annotations

import base64
import datetime
import os
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
DEFAULT_NAME = "aml.example.com"
PrivateKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey]


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def make_key(kind: str = "rsa") -> PrivateKey:
    """``rsa`` (RSA-2048) or ``ec`` (P-256)."""
    if kind == "rsa":
        return rsa_key()
    if kind == "ec":
        return ec_key()
    raise ValueError(f"unknown key kind {kind!r}")


def name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def certificate(key: PrivateKey, common_name: str = DEFAULT_NAME, dns_names: Iterable[str] = (DEFAULT_NAME,), *,
                days_valid: int = 90, expired: bool = False, not_yet_valid: bool = False,
                issuer_key: Optional[PrivateKey] = None, issuer_name: Optional[x509.Name] = None,
                ca: Optional[bool] = None) -> x509.Certificate:
    """A certificate for ``key``, self-signed unless ``issuer_key``/``issuer_name`` are given.

    ``expired``: ended yesterday; ``not_yet_valid``: starts tomorrow; otherwise valid from yesterday for
    ``days_valid`` days. ``ca`` adds a critical BasicConstraints extension (True for a CA, False for a leaf).
    """
    if expired and not_yet_valid:
        raise ValueError("a certificate is either expired or not yet valid")
    if expired:
        start, end = NOW - datetime.timedelta(days=days_valid + 10), NOW - datetime.timedelta(days=1)
    elif not_yet_valid:
        start, end = NOW + datetime.timedelta(days=1), NOW + datetime.timedelta(days=days_valid + 1)
    else:
        start, end = NOW - datetime.timedelta(days=1), NOW + datetime.timedelta(days=days_valid)
    subject = name(common_name)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name or subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end))
    dns_names = tuple(dns_names or ())
    if dns_names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]),
                                        critical=False)
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    return builder.sign(issuer_key or key, hashes.SHA256())


def cert_pem(*certs: x509.Certificate) -> bytes:
    """PEM of one certificate, or of a chain in the order given (leaf first, as servers send it)."""
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


def key_pem(key: PrivateKey, passphrase: Optional[bytes] = None, *, traditional: bool = False) -> bytes:
    """PEM of a private key: PKCS#8 (``BEGIN PRIVATE KEY``) or traditional (``BEGIN RSA/EC PRIVATE KEY``),
    encrypted with ``passphrase`` when one is given."""
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    fmt = serialization.PrivateFormat.TraditionalOpenSSL if traditional else serialization.PrivateFormat.PKCS8
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption)


def write(directory: Any, file_name: str, data: bytes, mode: int = 0o600) -> str:
    """Write ``data`` to ``directory/file_name`` (created if needed); returns the path as a string."""
    os.makedirs(str(directory), exist_ok=True)
    path = os.path.join(str(directory), file_name)
    with open(path, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)
    return path


@dataclass(frozen=True)
class Issued:
    """A private key and its certificate; ``chain`` holds the issuing CAs, nearest first."""

    key: PrivateKey
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    def cert_pem(self, *, with_chain: bool = True) -> bytes:
        return cert_pem(self.cert, *(self.chain if with_chain else ()))

    def key_pem(self, passphrase: Optional[bytes] = None, *, traditional: bool = False) -> bytes:
        return key_pem(self.key, passphrase, traditional=traditional)


def ca(common_name: str = "Contoso Test CA", *, issuer: Optional[Issued] = None, kind: str = "rsa",
       **cert_kwargs: Any) -> Issued:
    """A root CA (self-signed), or an intermediate CA when ``issuer`` is given."""
    key = make_key(kind)
    cert = certificate(key, common_name, (), ca=True, days_valid=cert_kwargs.pop("days_valid", 365),
                       issuer_key=issuer.key if issuer else None, issuer_name=issuer.cert.subject if issuer else None,
                       **cert_kwargs)
    return Issued(key, cert, (issuer.cert, *issuer.chain) if issuer else ())


def issue(common_name: str = DEFAULT_NAME, dns_names: Optional[Iterable[str]] = None, *,
          issuer: Optional[Issued] = None, key: Optional[PrivateKey] = None, kind: str = "rsa",
          **cert_kwargs: Any) -> Issued:
    """A leaf certificate for ``common_name`` (and ``dns_names``, by default the common name), self-signed
    unless ``issuer`` (a CA from ``ca()``) is given; ``cert_kwargs`` go to ``certificate`` (expired=True ...)."""
    key = key or make_key(kind)
    dns = (common_name,) if dns_names is None else tuple(dns_names)
    if issuer is None:
        return Issued(key, certificate(key, common_name, dns, **cert_kwargs))
    cert = certificate(key, common_name, dns, issuer_key=issuer.key, issuer_name=issuer.cert.subject,
                       ca=cert_kwargs.pop("ca", False), **cert_kwargs)
    return Issued(key, cert, (issuer.cert, *issuer.chain))


@dataclass(frozen=True)
class PemPair:
    """A certificate file and a key file (paths as strings, as modules receive them)."""

    cert: str
    key: str

    @property
    def cert_bytes(self) -> bytes:
        with open(self.cert, "rb") as handle:
            return handle.read()

    @property
    def key_bytes(self) -> bytes:
        with open(self.key, "rb") as handle:
            return handle.read()

    @property
    def cert_b64(self) -> str:
        """The certificate file's content as the module sends it (base64)."""
        return base64.b64encode(self.cert_bytes).decode()

    @property
    def key_b64(self) -> str:
        return base64.b64encode(self.key_bytes).decode()

    def protected(self) -> dict[str, str]:
        """``config_protected`` entries that point the AML extension at these files."""
        return {"sslCertPemFile": self.cert, "sslKeyPemFile": self.key}

    def replace_with(self, other: "PemPair") -> None:
        """Rotate: these paths get ``other``'s certificate and key (as a renewed certificate would)."""
        write(os.path.dirname(self.cert), os.path.basename(self.cert), other.cert_bytes)
        write(os.path.dirname(self.key), os.path.basename(self.key), other.key_bytes)


def write_pair(directory: Any, key: Optional[PrivateKey] = None, prefix: str = "tls", *,
               issuer: Optional[Issued] = None, with_chain: bool = True, passphrase: Optional[bytes] = None,
               traditional: bool = False, mismatched: bool = False, **cert_kwargs: Any) -> PemPair:
    """Write ``<prefix>-cert.pem`` and ``<prefix>-key.pem`` into ``directory``.

    The certificate is self-signed unless ``issuer`` is given (then the file holds the chain unless
    ``with_chain`` is false). ``passphrase`` encrypts the key; ``mismatched`` writes a different key than
    the certificate's. ``cert_kwargs`` go to ``certificate`` (common_name, dns_names, expired, ...).
    """
    key = key or rsa_key()
    if issuer is None:
        issued = Issued(key, certificate(key, **cert_kwargs))
    else:
        issued = issue(cert_kwargs.pop("common_name", DEFAULT_NAME), cert_kwargs.pop("dns_names", None),
                       issuer=issuer, key=key, **cert_kwargs)
    written_key = make_key("ec" if isinstance(key, ec.EllipticCurvePrivateKey) else "rsa") if mismatched else key
    return PemPair(write(directory, prefix + "-cert.pem", issued.cert_pem(with_chain=with_chain), 0o644),
                   write(directory, prefix + "-key.pem", key_pem(written_key, passphrase, traditional=traditional)))
