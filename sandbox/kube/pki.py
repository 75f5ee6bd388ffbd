"""The certificates of one sandbox cluster: its own CA, the API server's serving certificate, a client
certificate per component and for the admin user, and the service-account signing key.

A cluster gets a CA of its own (as every real cluster does), so a client certificate of one cluster is
refused by another. EC P-256 keys keep first start fast (milliseconds per key).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from sandbox.pki import ORGANISATION, cert_pem, issue, key_pem, name, new_ca, write_private

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


def ensure(directory: Path, cluster: str) -> ClusterPKI:
    """Create the cluster's certificates once; later calls (and sandbox restarts) keep them."""
    pki = ClusterPKI(directory)
    wanted = [pki.ca, pki.ca_key, pki.serving_cert, pki.serving_key, pki.service_account_key,
              pki.service_account_pub] + [p for who, _cn, _o in CLIENTS
                                          for p in (pki.client_cert(who), pki.client_key(who))]
    if all(p.exists() for p in wanted):
        return pki
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = new_ca(name(f"{cluster} cluster CA", ORGANISATION))
    serving, serving_key = issue(
        ca_cert, ca_key, name("kube-apiserver"), ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")), x509.DNSName("localhost"),
         x509.IPAddress(ipaddress.IPv4Address(SERVICE_CLUSTER_IP)), x509.DNSName("kubernetes"),
         x509.DNSName("kubernetes.default"), x509.DNSName("kubernetes.default.svc"),
         x509.DNSName("kubernetes.default.svc.cluster.local")])
    write_private(pki.ca_key, key_pem(ca_key))
    pki.ca.write_bytes(cert_pem(ca_cert))
    write_private(pki.serving_key, key_pem(serving_key))
    pki.serving_cert.write_bytes(cert_pem(serving))
    for who, common_name, organisation in CLIENTS:
        cert, key = issue(ca_cert, ca_key, name(common_name, organisation), ExtendedKeyUsageOID.CLIENT_AUTH)
        write_private(pki.client_key(who), key_pem(key))
        pki.client_cert(who).write_bytes(cert_pem(cert))
    sa_key = ec.generate_private_key(ec.SECP256R1())
    write_private(pki.service_account_key, key_pem(sa_key))
    pki.service_account_pub.write_bytes(sa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return pki
