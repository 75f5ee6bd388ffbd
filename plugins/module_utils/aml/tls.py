# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one certificate checker: a PEM certificate (with its chain) and its private key, before anything is sent.

The CLI reads ``sslCertPemFile``/``sslKeyPemFile`` and base64s them without looking inside; a wrong file then
surfaces minutes later as health check E40007 or a failed Helm install. ``aml_extension`` (through the settings
rules), ``aml_tls_check`` and role ``tls`` (through ``aml_tls_secret``) all judge a pair with ``check()``.

Refused (``Verdict.problems``): no certificate; a key that is not a usable unencrypted PEM key (a passphrase
is not supported by the extension); a key that does not match the certificate (or matches a later one of the
file: the server certificate must come first); a certificate of the chain expired or not yet valid (with its
dates); a chain out of order (each certificate must be issued by the next: issuer name and signature); a CNAME
no DNS subjectAltName covers (RFC 6125: a wildcard is the whole left-most label and covers exactly one label;
the common name counts only when there is no DNS subjectAltName). Warned (``Verdict.warnings``): expiry within
``expiry_warning_days``; a certificate named only by its common name.

Public API:

- ``HAS_CRYPTOGRAPHY`` / ``CRYPTOGRAPHY_IMPORT_ERROR``; ``MissingCryptographyError(RuntimeError)`` (carries
  ``import_error``), raised by ``check`` and ``load_pem_pair`` when ``cryptography`` is missing.
- ``Labels(cert, key, cname)``: how messages name the certificate, the key and the CNAME (the setting or option
  the caller's user wrote); ``EXTENSION_LABELS`` names the extension's settings.
- ``check(cert_pem, key_pem, *, cname=None, now=None, expiry_warning_days=EXPIRY_WARNING_DAYS, labels) -> Verdict``:
  pure; ``key_pem=None`` checks the certificate alone.
- ``Verdict``: ``subject``, ``issuer``, ``dns_names``, ``common_name``, ``not_before``, ``not_after`` (aware UTC),
  ``days_left``, ``chain_length``, ``fingerprint_sha256`` (of the server certificate), ``problems``, ``warnings``,
  ``ok``; ``as_dict()`` for a module result (dates in ISO 8601). It never holds key material.
- ``PemError(ValueError)``: ``problems`` lists every reason. ``PemPair``: a checked pair read from files
  (``cert_pem``, ``key_pem`` raw bytes, ``verdict`` and its shortcuts).
- ``load_pem_pair(cert_path, key_path, *, cname=None, now=None, expiry_warning_days=..., labels=...) -> PemPair``:
  read both files and ``check`` them; raise ``PemError`` with every problem.
- ``normalise_pem(data) -> bytes``: CRLF and CR become LF (the CLI reads the files as text).
- ``base64_content(data: bytes) -> str``: the value the CLI puts in ``scoringFe.sslCert``/``scoringFe.sslKey``.
- ``fingerprint(cert_pem) -> str | None``: SHA-256 of the first certificate, as ``openssl x509 -fingerprint``.

No message ever contains a path or key material: paths are ``config_protected`` values.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import importlib
import importlib.util
import os
import traceback
from dataclasses import dataclass, field
from typing import Any

# cryptography is imported on the first check (_require_cryptography), not with this file: a task without PEM
# files never loads it. Whether it is installed is known without importing it.
try:
    _FOUND = importlib.util.find_spec("cryptography") is not None
except (ImportError, ValueError):
    _FOUND = False
HAS_CRYPTOGRAPHY = _FOUND
CRYPTOGRAPHY_IMPORT_ERROR: str | None = None if _FOUND else "ModuleNotFoundError: No module named 'cryptography'"
# Bound by _load_cryptography(); every function that uses them calls _require_cryptography() first.
x509: Any = None
InvalidSignature: Any = None
UnsupportedAlgorithm: Any = None
hashes: Any = None
serialization: Any = None
NameOID: Any = None


def _load_cryptography() -> None:
    """Bind the cryptography names this file uses as module globals (once)."""
    global HAS_CRYPTOGRAPHY, CRYPTOGRAPHY_IMPORT_ERROR  # pylint: disable=global-statement
    if x509 is not None:
        return
    try:
        exceptions = importlib.import_module("cryptography.exceptions")
        names = dict(x509=importlib.import_module("cryptography.x509"),
                     InvalidSignature=exceptions.InvalidSignature, UnsupportedAlgorithm=exceptions.UnsupportedAlgorithm,
                     hashes=importlib.import_module("cryptography.hazmat.primitives.hashes"),
                     serialization=importlib.import_module("cryptography.hazmat.primitives.serialization"),
                     NameOID=importlib.import_module("cryptography.x509.oid").NameOID)
    except ImportError:
        HAS_CRYPTOGRAPHY = False
        CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
        return
    globals().update(names)


CERT_SETTING = "sslCertPemFile"
KEY_SETTING = "sslKeyPemFile"
CNAME_SETTING = "sslCname"
# Warn when the certificate ends within this many days (aml_extension; the module and the role take an option).
EXPIRY_WARNING_DAYS = 30

# The fix for a passphrase-protected key: the extension has no setting for a passphrase.
_REMOVE_PASSPHRASE = "remove it with `openssl pkey -in key.pem -out key-nopass.pem`"
_ORDER_FIX = ("order it server certificate first, then each certificate's issuer (intermediates, then the root, "
              "which may be left out)")


@dataclass(frozen=True)
class Labels:
    """How messages name the certificate, the key and the CNAME: the setting or option the user wrote."""

    cert: str = CERT_SETTING
    key: str = KEY_SETTING
    cname: str = CNAME_SETTING


EXTENSION_LABELS = Labels()


class MissingCryptographyError(RuntimeError):
    """``cryptography`` is not importable; the caller reports ``missing_required_lib('cryptography')``."""

    def __init__(self, import_error: str | None):
        super().__init__("the Python library 'cryptography' is required to check sslCertPemFile/sslKeyPemFile")
        self.import_error = import_error


class PemError(ValueError):
    """The certificate or key cannot be used; ``problems`` holds one message per reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Verdict:
    """What ``check`` found: the server certificate's facts, and every problem and warning. No key material."""

    subject: str | None = None
    issuer: str | None = None
    dns_names: tuple[str, ...] = ()
    common_name: str | None = None
    not_before: datetime.datetime | None = None
    not_after: datetime.datetime | None = None
    days_left: int | None = None
    chain_length: int = 0
    fingerprint_sha256: str | None = None
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "issuer": self.issuer, "dns_names": list(self.dns_names),
                "common_name": self.common_name,
                "not_before": self.not_before.isoformat() if self.not_before else None,
                "not_after": self.not_after.isoformat() if self.not_after else None,
                "days_left": self.days_left, "chain_length": self.chain_length,
                "fingerprint_sha256": self.fingerprint_sha256, "problems": list(self.problems),
                "warnings": list(self.warnings), "ok": self.ok}


@dataclass(frozen=True)
class PemPair:
    """A pair read from files and checked (``load_pem_pair``)."""

    cert_pem: bytes = field(repr=False)
    key_pem: bytes = field(repr=False)
    verdict: Verdict

    @property
    def subject(self) -> str | None:
        return self.verdict.subject

    @property
    def not_after(self) -> datetime.datetime | None:
        return self.verdict.not_after

    @property
    def dns_names(self) -> tuple[str, ...]:
        return self.verdict.dns_names

    @property
    def common_name(self) -> str | None:
        return self.verdict.common_name

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.verdict.warnings


def normalise_pem(data: bytes) -> bytes:
    """CRLF and CR become LF, as when the CLI reads the file as text."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def base64_content(data: bytes) -> str:
    """Encode a PEM file's bytes exactly as the CLI does.

    The CLI opens the file in text mode (so CRLF and CR become LF), encodes the text as ASCII and base64s it.
    """
    data.decode("ascii")
    return base64.b64encode(normalise_pem(data)).decode("ascii")


def _require_cryptography() -> None:
    if HAS_CRYPTOGRAPHY:
        _load_cryptography()
    if not HAS_CRYPTOGRAPHY:
        raise MissingCryptographyError(CRYPTOGRAPHY_IMPORT_ERROR)


def fingerprint(cert_pem: bytes | None) -> str | None:
    """SHA-256 fingerprint of the first certificate in ``cert_pem`` (``AB:CD:...``), or None when there is none."""
    _require_cryptography()
    try:
        certs = x509.load_pem_x509_certificates(cert_pem or b"")
    except ValueError:
        return None
    return _fingerprint(certs[0])


def _fingerprint(cert) -> str:
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


# --- the checker
def check(cert_pem: bytes | None, key_pem: bytes | None, *, cname: str | None = None,
          now: datetime.datetime | None = None, expiry_warning_days: int | None = EXPIRY_WARNING_DAYS,
          labels: Labels = EXTENSION_LABELS) -> Verdict:
    """Judge a certificate file's content (server certificate first, then its chain) and its key (pure).

    ``key_pem=None``: the certificate alone. ``expiry_warning_days=None`` or 0: no expiry warning.
    """
    _require_cryptography()
    now = now or datetime.datetime.now(datetime.timezone.utc)
    problems: list[str] = []
    warnings: list[str] = []
    certs = _parse_certificates(cert_pem, labels, problems) if cert_pem is not None else []
    key = _parse_private_key(key_pem, labels, problems) if key_pem is not None else None
    if not certs:
        return Verdict(problems=tuple(problems), warnings=tuple(warnings))
    leaf_first = True
    if key is not None:
        leaf_first = _check_key(certs, key, labels, problems)
    for position, cert in enumerate(certs):
        _check_validity(cert, position, len(certs), now, labels, problems)
    if leaf_first:
        _check_order(certs, labels, problems)
    leaf = certs[0]
    days_left = int((leaf.not_valid_after_utc - now).total_seconds() // 86400)
    if expiry_warning_days and 0 <= days_left < expiry_warning_days and leaf.not_valid_after_utc > now:
        warnings.append("%s: the certificate expires on %s, in %d day(s): renew it and rotate it before then"
                        % (labels.cert, leaf.not_valid_after_utc.isoformat(), days_left))
    dns_names, common_name = _dns_names(leaf), _common_name(leaf)
    _check_cname(dns_names, common_name, cname, labels, problems, warnings)
    return Verdict(subject=leaf.subject.rfc4514_string(), issuer=leaf.issuer.rfc4514_string(), dns_names=dns_names,
                   common_name=common_name, not_before=leaf.not_valid_before_utc, not_after=leaf.not_valid_after_utc,
                   days_left=days_left, chain_length=len(certs), fingerprint_sha256=_fingerprint(leaf),
                   problems=tuple(problems), warnings=tuple(warnings))


def _parse_certificates(data: bytes, labels: Labels, problems: list[str]) -> list:
    try:
        data.decode("ascii")
    except UnicodeDecodeError:
        # The CLI ASCII-encodes the text and fails on anything else; PEM is ASCII by definition.
        problems.append("%s: the file contains non-ASCII bytes; it must be a plain PEM text file" % labels.cert)
        return []
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        problems.append(
            "%s: no PEM certificate found; it must hold '-----BEGIN CERTIFICATE-----' blocks "
            "(the server certificate first, then its chain)" % labels.cert)
        return []


# Parsed keys by content digest: the rules and the computation both read the pair, and loading an RSA key
# costs tens of milliseconds (cryptography checks it). Keys only live in the module's process.
_KEYS: dict[bytes, Any] = {}


def _parse_private_key(data: bytes, labels: Labels, problems: list[str]):
    try:
        data.decode("ascii")
    except UnicodeDecodeError:
        problems.append("%s: the file contains non-ASCII bytes; it must be a plain PEM text file" % labels.key)
        return None
    digest = hashlib.sha256(data).digest()
    if digest in _KEYS:
        return _KEYS[digest]
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        # cryptography raises TypeError when a password is needed but none was given.
        problems.append("%s is protected by a passphrase; the extension does not support that: %s"
                        % (labels.key, _REMOVE_PASSPHRASE))
        return None
    except (ValueError, UnsupportedAlgorithm):
        problems.append("%s: no usable PEM private key found; it must hold one unencrypted "
                        "'-----BEGIN PRIVATE KEY-----' (or RSA/EC PRIVATE KEY) block" % labels.key)
        return None
    _KEYS[digest] = key
    return key


def _public_der(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _check_key(certs: list, key, labels: Labels, problems: list[str]) -> bool:
    """False when the key belongs to a later certificate of the file (the order is then the one problem)."""
    public = _public_der(key.public_key())
    matches = [i for i, cert in enumerate(certs) if _public_der(cert.public_key()) == public]
    if matches and matches[0] == 0:
        return True
    if matches:
        problems.append("%s belongs to certificate %d of %d in %s, not to the first (health check E40007): %s"
                        % (labels.key, matches[0] + 1, len(certs), labels.cert, _ORDER_FIX))
        return False
    problems.append("%s does not match the certificate in %s: give the key the certificate was issued for"
                    % (labels.key, labels.cert))
    return True


def _which(cert, position: int, count: int) -> str:
    if count == 1:
        return "the certificate"
    return "certificate %d of %d (%s)" % (position + 1, count, cert.subject.rfc4514_string())


def _check_validity(cert, position: int, count: int, now: datetime.datetime, labels: Labels,
                    problems: list[str]) -> None:
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    which = _which(cert, position, count)
    if not_after < now:
        problems.append("%s: %s expired on %s (valid from %s; it is now %s); clients reject it (health check "
                        "E40007): renew it and give the new one"
                        % (labels.cert, which, not_after.isoformat(), not_before.isoformat(), _iso(now)))
    elif not_before > now:
        problems.append("%s: %s is not valid before %s (it is now %s); clients reject it until then (health check "
                        "E40007): wait, or issue one valid now (check the issuing host's clock)"
                        % (labels.cert, which, not_before.isoformat(), _iso(now)))


def _iso(moment: datetime.datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _check_order(certs: list, labels: Labels, problems: list[str]) -> None:
    for position in range(len(certs) - 1):
        child, parent = certs[position], certs[position + 1]
        if child.issuer != parent.subject:
            problems.append("%s: the chain is out of order: certificate %d (%s) is not the issuer of certificate %d "
                            "(%s, issued by %s), so clients cannot build it (health check E40007): %s"
                            % (labels.cert, position + 2, parent.subject.rfc4514_string(), position + 1,
                               child.subject.rfc4514_string(), child.issuer.rfc4514_string(), _ORDER_FIX))
            return
        if not _signed_by(child, parent):
            problems.append("%s: certificate %d (%s) bears the name of the issuer of certificate %d but did not "
                            "sign it (health check E40007): give the CA certificate that issued it"
                            % (labels.cert, position + 2, parent.subject.rfc4514_string(), position + 1))
            return


def _signed_by(child, parent) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (InvalidSignature, ValueError):
        return False
    except (TypeError, UnsupportedAlgorithm, AttributeError):
        return True  # a key type (or cryptography version) that cannot verify: the names matched
    return True


def _dns_names(cert) -> tuple[str, ...]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    return tuple(san.value.get_values_for_type(x509.DNSName))


def _common_name(cert) -> str | None:
    attributes = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attributes[0].value) if attributes else None


def _check_cname(dns_names: tuple[str, ...], common_name: str | None, cname: str | None, labels: Labels,
                 problems: list[str], warnings: list[str]) -> None:
    if not dns_names and common_name:
        warnings.append("%s: the certificate has no DNS subjectAltName, only the common name %r, which browsers "
                        "and most TLS clients ignore: reissue it with a subjectAltName" % (labels.cert, common_name))
    if not cname:
        return
    names = list(dns_names) or ([common_name] if common_name else [])
    if any(name_covers(name, cname) for name in names):
        return
    shown = ", ".join(names) if names else "no DNS names"
    problems.append("%s %r is not covered by the certificate in %s (it names: %s); clients will reject the "
                    "endpoint's certificate (health check E40007): set %s to a name it covers, or issue a "
                    "certificate whose subjectAltName has it (a wildcard covers exactly one label)"
                    % (labels.cname, cname, labels.cert, shown, labels.cname))


def name_covers(pattern: str, host: str) -> bool:
    """RFC 6125 matching: case-insensitive, a wildcard only as the whole left-most label, covering one label."""
    pattern = pattern.lower().rstrip(".")
    host = host.lower().rstrip(".")
    if not pattern.startswith("*."):
        return pattern == host
    head, sep, rest = host.partition(".")
    return bool(head) and bool(sep) and rest == pattern[2:] and "*" not in rest


# --- files
def load_pem_pair(cert_path: str, key_path: str, *, cname: str | None = None, now: datetime.datetime | None = None,
                  expiry_warning_days: int | None = EXPIRY_WARNING_DAYS,
                  labels: Labels = EXTENSION_LABELS) -> PemPair:
    """Read both files and ``check`` them; raise ``PemError`` listing every problem found."""
    _require_cryptography()
    problems: list[str] = []
    # One file at a time, so the problems read in the order the settings are given.
    cert_data = _read(cert_path, labels.cert, problems)
    key_data = _read(key_path, labels.key, problems)
    verdict = check(cert_data, key_data, cname=cname, now=now, expiry_warning_days=expiry_warning_days,
                    labels=labels)
    problems.extend(verdict.problems)
    if cert_data is None or key_data is None or problems:
        raise PemError(_ordered(problems, labels))
    return PemPair(cert_pem=cert_data, key_pem=key_data, verdict=verdict)


def _ordered(problems: list[str], labels: Labels) -> list[str]:
    # The certificate's problems first, then the key's, then the rest, each group as found.
    def rank(problem: str) -> int:
        return 0 if problem.startswith(labels.cert) else 1 if problem.startswith(labels.key) else 2
    return sorted(problems, key=rank)


def read_file(path: str, label: str) -> tuple[bytes | None, str | None]:
    """A PEM file's bytes, or None and why (naming ``label``, never the path)."""
    problems: list[str] = []
    data = _read(path, label, problems)
    return data, (problems[0] if problems else None)


def _read(path: str, label: str, problems: list[str]) -> bytes | None:
    try:
        with open(os.path.expanduser(str(path)), "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        problems.append("%s: the file does not exist on the host running the module" % label)
    except IsADirectoryError:
        problems.append("%s: the path is a directory, not a PEM file" % label)
    except OSError as exc:
        # strerror only ("Permission denied"); str(exc) would include the path.
        problems.append("%s: the file cannot be read (%s)" % (label, exc.strerror or type(exc).__name__))
    return None
