"""The certificates of one sandbox cluster: its own CA, the API server's serving certificate, a client
certificate per component and for the admin user, and the service-account signing key.

A cluster gets a CA of its own (as every real cluster does), so a client certificate of one cluster is
refused by another. EC P-256 keys keep first start fast (milliseconds per key).
"""
from __future__ import annotations

import datetime as _dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# The first address of the service range: where pods reach the API server as `kubernetes.default`.
SERVICE_CLUSTER_IP = "10.96.0.1"
SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/16"

# Client identities: (file stem, common name, organisation). RBAC's bootstrap policy binds the
# component names; system:masters is the admin group.
CLIENTS = (
    ("admin", "sandbox-admin", "system:masters"),
    ("controller-manager", "system:kube-controller-manager", None),
    ("scheduler", "system:kube-scheduler", None),
    ("kwok", "system:kwok-controller", "system:masters"),
)


@dataclass(frozen=True)
class ClusterPKI:
    directory: Path

    @property
    def ca(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca-key.pem"

    @property
    def serving_cert(self) -> Path:
        return self.directory / "apiserver.pem"

    @property
    def serving_key(self) -> Path:
        return self.directory / "apiserver-key.pem"

    @property
    def service_account_key(self) -> Path:
        return self.directory / "sa-key.pem"

    @property
    def service_account_pub(self) -> Path:
        return self.directory / "sa.pub"

    def client_cert(self, who: str) -> Path:
        return self.directory / f"{who}.pem"

    def client_key(self, who: str) -> Path:
        return self.directory / f"{who}-key.pem"


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str, organisation: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    return x509.Name(attributes)


def _issue(ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, subject: x509.Name,
           usage: x509.ObjectIdentifier, sans: list[x509.GeneralName] | None = None,
           ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    now = _dt.datetime.now(_dt.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(days=1)).not_valid_after(now + _dt.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def ensure(directory: Path, cluster: str) -> ClusterPKI:
    """Create the cluster's certificates once; later calls (and sandbox restarts) keep them."""
    pki = ClusterPKI(directory)
    wanted = [pki.ca, pki.ca_key, pki.serving_cert, pki.serving_key, pki.service_account_key,
              pki.service_account_pub] + [p for who, _cn, _o in CLIENTS
                                          for p in (pki.client_cert(who), pki.client_key(who))]
    if all(p.exists() for p in wanted):
        return pki
    directory.mkdir(parents=True, exist_ok=True)
    now = _dt.datetime.now(_dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{cluster} cluster CA", "azureml.kubernetes sandbox")
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(days=1)).not_valid_after(now + _dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    serving, serving_key = _issue(
        ca_cert, ca_key, _name("kube-apiserver"), ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")), x509.DNSName("localhost"),
         x509.IPAddress(ipaddress.IPv4Address(SERVICE_CLUSTER_IP)), x509.DNSName("kubernetes"),
         x509.DNSName("kubernetes.default"), x509.DNSName("kubernetes.default.svc"),
         x509.DNSName("kubernetes.default.svc.cluster.local")])
    _write_private(pki.ca_key, _key_pem(ca_key))
    pki.ca.write_bytes(_cert_pem(ca_cert))
    _write_private(pki.serving_key, _key_pem(serving_key))
    pki.serving_cert.write_bytes(_cert_pem(serving))
    for who, common_name, organisation in CLIENTS:
        cert, key = _issue(ca_cert, ca_key, _name(common_name, organisation), ExtendedKeyUsageOID.CLIENT_AUTH)
        _write_private(pki.client_key(who), _key_pem(key))
        pki.client_cert(who).write_bytes(_cert_pem(cert))
    sa_key = ec.generate_private_key(ec.SECP256R1())
    _write_private(pki.service_account_key, _key_pem(sa_key))
    pki.service_account_pub.write_bytes(sa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return pki
