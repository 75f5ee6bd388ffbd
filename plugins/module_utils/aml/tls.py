# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks on the TLS certificate and key given as ``sslCertPemFile`` / ``sslKeyPemFile``.

The CLI reads both files and base64s them without looking inside; a wrong file then surfaces minutes later
as health-check E40007 or a failed Helm install. Here the files are checked before anything is sent.

Public API:

- ``HAS_CRYPTOGRAPHY`` / ``CRYPTOGRAPHY_IMPORT_ERROR``: whether ``cryptography`` imported (and its traceback),
  so the module can fail with ``missing_required_lib('cryptography')``.
- ``MissingCryptographyError(RuntimeError)``: raised by ``load_pem_pair`` when ``cryptography`` is missing;
  carries ``import_error`` (the traceback text).
- ``PemError(ValueError)``: the files are unusable; ``problems`` lists every reason, each naming the setting.
- ``PemPair``: what was read: ``cert_pem``, ``key_pem`` (raw bytes), ``subject``, ``not_after`` (aware UTC),
  ``dns_names`` (SAN DNS names), ``common_name`` (or None) and ``warnings``.
- ``load_pem_pair(cert_path, key_path, *, now=None) -> PemPair``: read and check the pair.
- ``cname_warnings(pair, cname) -> list[str]``: warn when ``sslCname`` is not covered by the certificate.
- ``base64_content(data: bytes) -> str``: the value the CLI puts in ``scoringFe.sslCert``/``scoringFe.sslKey``.

No message ever contains a path or key material: the paths are ``config_protected`` values.
"""

from __future__ import annotations

import base64
import datetime
import os
import traceback
from typing import Any
from dataclasses import dataclass, field

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

CERT_SETTING = "sslCertPemFile"
KEY_SETTING = "sslKeyPemFile"

# The fix for a passphrase-protected key: the extension has no setting for a passphrase.
_REMOVE_PASSPHRASE = "remove it with `openssl pkey -in key.pem -out key-nopass.pem`"


class MissingCryptographyError(RuntimeError):
    """``cryptography`` is not importable; the caller reports ``missing_required_lib('cryptography')``."""

    def __init__(self, import_error: str | None):
        super().__init__("the Python library 'cryptography' is required to check sslCertPemFile/sslKeyPemFile")
        self.import_error = import_error


class PemError(ValueError):
    """The certificate or key file cannot be used; ``problems`` holds one message per reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class PemPair:
    cert_pem: bytes = field(repr=False)
    key_pem: bytes = field(repr=False)
    subject: str
    not_after: datetime.datetime
    dns_names: tuple[str, ...]
    common_name: str | None
    warnings: tuple[str, ...] = ()


def base64_content(data: bytes) -> str:
    """Encode a PEM file's bytes exactly as the CLI does.

    The CLI opens the file in text mode (so CRLF and CR become LF), encodes the text as ASCII and base64s it.
    """
    text = data.decode("ascii")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return base64.b64encode(text.encode("ascii")).decode("ascii")


# Checked pairs by file identity: validation and computation both read the pair, and loading an RSA key
# costs tens of milliseconds (cryptography checks it). A changed file has another identity.
_CHECKED: dict[tuple[Any, ...], PemPair] = {}


def _identity(*paths: str) -> tuple[Any, ...] | None:
    try:
        stats = [os.stat(os.path.expanduser(str(p))) for p in paths]
    except OSError:
        return None
    return tuple((os.path.realpath(os.path.expanduser(str(p))), st.st_mtime_ns, st.st_size, st.st_ino)
                 for p, st in zip(paths, stats))


def load_pem_pair(cert_path: str, key_path: str, *, now: datetime.datetime | None = None) -> PemPair:
    """Read both files and check them; raise ``PemError`` listing every problem found."""
    if not HAS_CRYPTOGRAPHY:
        raise MissingCryptographyError(CRYPTOGRAPHY_IMPORT_ERROR)
    identity = _identity(cert_path, key_path) if now is None else None
    if identity is not None and identity in _CHECKED:
        return _CHECKED[identity]
    pair = _load_pem_pair(cert_path, key_path, now)
    if identity is not None:
        _CHECKED[identity] = pair
    return pair


def _load_pem_pair(cert_path: str, key_path: str, now: datetime.datetime | None) -> PemPair:
    problems: list[str] = []
    # One file at a time, so the problems read in the order the settings are given.
    cert_data = _read(cert_path, CERT_SETTING, problems)
    certs = _parse_certificates(cert_data, problems) if cert_data is not None else None
    key_data = _read(key_path, KEY_SETTING, problems)
    key = _parse_private_key(key_data, problems) if key_data is not None else None
    if certs and key is not None and not _key_matches(certs[0], key):
        problems.append(
            "%s does not match the certificate in %s: give the key the certificate was issued for"
            % (KEY_SETTING, CERT_SETTING)
        )
    if problems:
        raise PemError(problems)
    return _pair(certs[0], cert_data, key_data, now or datetime.datetime.now(datetime.timezone.utc))


def cname_warnings(pair: PemPair, cname: str | None) -> list[str]:
    """Warn when the certificate does not name ``cname`` (SAN DNS names, or the CN when there are none)."""
    if not cname:
        return []
    names = list(pair.dns_names) or ([pair.common_name] if pair.common_name else [])
    if any(_name_covers(name, cname) for name in names):
        return []
    shown = ", ".join(names) if names else "no DNS names"
    return [
        "sslCname %r is not covered by the certificate in %s (it names: %s); clients will reject the "
        "endpoint's certificate (health check E40007)" % (cname, CERT_SETTING, shown)
    ]


def _read(path: str, setting: str, problems: list[str]) -> bytes | None:
    try:
        with open(os.path.expanduser(str(path)), "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        problems.append("%s: the file does not exist on the host running the module" % setting)
        return None
    except IsADirectoryError:
        problems.append("%s: the path is a directory, not a PEM file" % setting)
        return None
    except OSError as exc:
        # strerror only ("Permission denied"); str(exc) would include the path.
        problems.append("%s: the file cannot be read (%s)" % (setting, exc.strerror or type(exc).__name__))
        return None
    try:
        data.decode("ascii")
    except UnicodeDecodeError:
        # The CLI ASCII-encodes the text and fails on anything else; PEM is ASCII by definition.
        problems.append("%s: the file contains non-ASCII bytes; it must be a plain PEM text file" % setting)
        return None
    return data


def _parse_certificates(data: bytes, problems: list[str]) -> list | None:
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        problems.append(
            "%s: no PEM certificate found; it must hold '-----BEGIN CERTIFICATE-----' blocks "
            "(the server certificate first, then its chain)" % CERT_SETTING
        )
        return None
    return certs


def _parse_private_key(data: bytes, problems: list[str]):
    try:
        return serialization.load_pem_private_key(data, password=None)
    except TypeError:
        # cryptography raises TypeError when a password is needed but none was given.
        problems.append(
            "%s is protected by a passphrase; the extension does not support that: %s"
            % (KEY_SETTING, _REMOVE_PASSPHRASE)
        )
    except (ValueError, UnsupportedAlgorithm):
        problems.append(
            "%s: no usable PEM private key found; it must hold one unencrypted "
            "'-----BEGIN PRIVATE KEY-----' (or RSA/EC PRIVATE KEY) block" % KEY_SETTING
        )
    return None


def _public_der(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _key_matches(cert, key) -> bool:
    return _public_der(cert.public_key()) == _public_der(key.public_key())


def _pair(cert, cert_data: bytes, key_data: bytes, now: datetime.datetime) -> PemPair:
    not_before = cert.not_valid_before_utc
    not_after = cert.not_valid_after_utc
    warnings = []
    if not_after < now:
        warnings.append(
            "%s: the certificate expired on %s; clients will reject the inference endpoint"
            % (CERT_SETTING, not_after.isoformat())
        )
    elif not_before > now:
        warnings.append("%s: the certificate is not valid before %s" % (CERT_SETTING, not_before.isoformat()))
    return PemPair(
        cert_pem=cert_data,
        key_pem=key_data,
        subject=cert.subject.rfc4514_string(),
        not_after=not_after,
        dns_names=_dns_names(cert),
        common_name=_common_name(cert),
        warnings=tuple(warnings),
    )


def _dns_names(cert) -> tuple[str, ...]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    return tuple(san.value.get_values_for_type(x509.DNSName))


def _common_name(cert) -> str | None:
    attributes = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attributes[0].value) if attributes else None


def _name_covers(pattern: str, host: str) -> bool:
    """RFC 6125 matching: case-insensitive, a wildcard only as the whole left-most label."""
    pattern = pattern.lower().rstrip(".")
    host = host.lower().rstrip(".")
    if not pattern.startswith("*."):
        return pattern == host
    head, sep, rest = host.partition(".")
    return bool(head) and bool(sep) and rest == pattern[2:]
