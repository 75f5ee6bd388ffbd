"""The `make demo-fleet` world: 20 mixed clusters, some with the documented problems, in a running sandbox.

    python -m sandbox.fleet --state-dir .sandbox

Seeds (through the control API, in one batch) 12 AKS and 8 Arc clusters in resource group ``rg-fleet`` and removes
the default world's two clusters, so the inventory the sandbox writes (``DIR/inventory.yml``) is the fleet. Beside
it, as Ansible reads them for that inventory, it writes ``DIR/group_vars/`` (the TLS certificate every cluster
uses, the GPU pool of the Arc clusters, where the report goes) and ``DIR/host_vars/`` (the two clusters whose problem
is a setting of theirs), plus ``DIR/fleet/tls/`` (a valid and an expired certificate for ml.contoso.com, with
their keys) and ``DIR/fleet/fleet.json`` (every cluster, its problem and the outcome the documentation predicts).

Like the rest of the sandbox it imports nothing from the collection: it only seeds a world.
"""
from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from sandbox import pki
from sandbox.client import SandboxClient

RESOURCE_GROUP = "rg-fleet"
CNAME = "ml.contoso.com"
DEFAULT_CLUSTERS = (("managedClusters", "aks-aml-demo", "rg-aml-sandbox"), ("connectedClusters", "arc-aml-demo", "rg-aml-sandbox"))
GPU_LABEL = {"accelerator": "nvidia"}
ARC_NODES = [{"name": "cpu", "count": 3},
             {"name": "gpu", "count": 1, "cpu": "7720m", "memory": "56Gi", "gpu": 1, "labels": GPU_LABEL}]

# name, type, seed fields, the problem (None: healthy), what the production scenario does with it.
FLEET: list[tuple[str, str, dict[str, Any], str | None, str]] = [
    ("fleet-aks-01", "managedClusters", {"location": "eastus"}, None, "installed (the canary)"),
    ("fleet-aks-02-legacy-fe", "managedClusters", {"location": "eastus", "situations": ["legacy_azureml_fe"]},
     "the azureml-fe v1 leftovers of an old install, still serving",
     "installed after legacy_cleanup removes them (aml_legacy_cleanup_force; backed up first)"),
    ("fleet-aks-03-sp", "managedClusters", {"location": "eastus", "identity_type": "ServicePrincipal"},
     "a service-principal AKS (no managed identity)", "failed at prerequisites, with the documented fix"),
    ("fleet-aks-04", "managedClusters", {"location": "westeurope"}, None, "installed"),
    ("fleet-aks-05-prom-op", "managedClusters", {"location": "westeurope", "situations": ["prometheus_operator"]},
     "an existing Prometheus operator", "installed, reusing it (installPromOp=False, ServiceMonitor prom-kubelet)"),
    ("fleet-aks-06", "managedClusters", {"location": "westeurope"}, None, "installed"),
    ("fleet-aks-07-two-nodes", "managedClusters", {"location": "eastus", "node_count": 2},
     "2 nodes, and inferenceRouterHA required (prerequisites_inference_router_ha_below_3_nodes: fail)",
     "failed at prerequisites: HA needs 3 nodes"),
    ("fleet-aks-08", "managedClusters", {"location": "eastus"}, None, "installed"),
    ("fleet-aks-09-expired-cert", "managedClusters", {"location": "eastus"},
     "an expired TLS certificate for ml.contoso.com", "failed at tls, with the certificate's dates"),
    ("fleet-aks-10", "managedClusters", {"location": "westus2"}, None, "installed"),
    ("fleet-aks-11", "managedClusters", {"location": "westus2"}, None, "installed"),
    ("fleet-aks-12", "managedClusters", {"location": "westus2"}, None, "installed"),
] + [
    (f"fleet-arc-{i:02d}", "connectedClusters", {"location": "eastus" if i % 2 else "westeurope", "nodes": ARC_NODES},
     None, "installed") for i in range(1, 9)
]

HOST_VARS: dict[str, dict[str, Any]] = {
    # The v1 router still has a ready replica: legacy_cleanup removes it only when told (its backup comes first).
    "fleet-aks-02-legacy-fe": {"aml_legacy_cleanup_force": True},
    "fleet-aks-07-two-nodes": {"prerequisites_inference_router_ha_below_3_nodes": "fail"},
}


def _pair(folder: Path, stem: str, not_before: datetime.datetime, not_after: datetime.datetime) -> tuple[Path, Path]:
    """A self-signed certificate for CNAME and its key, written as DIR/STEM-cert.pem and DIR/STEM-key.pem (0600)."""
    cert, key = pki.self_signed(CNAME, not_before, not_after)
    cert_file, key_file = folder / f"{stem}-cert.pem", folder / f"{stem}-key.pem"
    cert_file.write_bytes(cert)
    pki.write_private(key_file, key)
    return cert_file, key_file


def _write_yaml(path: Path, data: dict[str, Any], comment: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# {comment}\n" + yaml.safe_dump(data, sort_keys=False, default_flow_style=False))


def seed(state_dir: Path) -> list[dict[str, Any]]:
    """Seed the fleet into the sandbox running in ``state_dir`` and write its variables; the fleet's table."""
    sb = SandboxClient(state_dir)
    for ctype, name, rg in DEFAULT_CLUSTERS:
        if any(c["name"] == name and c["_sandbox"]["cluster_type"] == ctype for c in sb.clusters()):
            sb.delete_cluster(ctype, name, resource_group=rg)
    specs = []
    for name, ctype, fields, _problem, _expected in FLEET:
        spec = {"name": name, "cluster_type": ctype, "resource_group": RESOURCE_GROUP, **fields}
        if "nodes" in spec:
            spec.pop("node_count", None)
        specs.append(spec)
    sb.seed_clusters(specs)

    tls = state_dir / "fleet" / "tls"
    tls.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    cert, key = _pair(tls, "ml.contoso.com", now - datetime.timedelta(days=1), now + datetime.timedelta(days=365))
    old_cert, old_key = _pair(tls, "expired", now - datetime.timedelta(days=400), now - datetime.timedelta(days=35))
    _write_yaml(state_dir / "group_vars" / "aml_clusters.yml", {
        "aml_tls_cname": CNAME, "aml_tls_cert_file": str(cert), "aml_tls_key_file": str(key),
        "aml_backup_dir": str(state_dir / "fleet" / "backups"),
    }, "Written by `python -m sandbox.fleet`: the settings every cluster of the fleet shares.")
    _write_yaml(state_dir / "group_vars" / "arc.yml", {"aml_gpu_node_selector": GPU_LABEL},
                "Written by `python -m sandbox.fleet`: the Arc clusters' GPU pool.")
    host_vars = dict(HOST_VARS)
    host_vars["fleet-aks-09-expired-cert"] = {"aml_tls_cert_file": str(old_cert), "aml_tls_key_file": str(old_key)}
    for host, values in host_vars.items():
        _write_yaml(state_dir / "host_vars" / f"{host}.yml", values,
                    "Written by `python -m sandbox.fleet`: this cluster's documented problem is a setting of its own.")
    table = [{"name": name, "cluster_type": ctype, "location": fields["location"], "problem": problem,
              "expected": expected} for name, ctype, fields, problem, expected in FLEET]
    (state_dir / "fleet" / "fleet.json").write_text(json.dumps(table, indent=1) + "\n")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.fleet", description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", default=".sandbox", help="the running sandbox's state directory")
    args = parser.parse_args(argv)
    table = seed(Path(args.state_dir).resolve())
    print(f"Seeded {len(table)} clusters in {RESOURCE_GROUP}:")
    for row in table:
        kind = "AKS" if row["cluster_type"] == "managedClusters" else "Arc"
        print(f"  {row['name']:<28} {kind:<4} {row['location']:<11} {row['problem'] or 'healthy'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
