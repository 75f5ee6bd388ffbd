"""DIR/env and DIR/inventory.yml, exactly as docs/architecture.md ("The sandbox contract") describes."""
from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path
from typing import Any

import yaml

from .constants import DEFAULT_SUBSCRIPTION, SP_CLIENT_ID, TENANT_ID


def _atomic_write(path: Path, text: str, mode: int = 0o644) -> None:
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix="." + path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def env_vars(state_dir: Path, url: str, secrets: dict[str, str]) -> dict[str, str]:
    ca = str((state_dir / "ca.pem").resolve())
    return {
        "AZURE_CLOUD_ENVIRONMENT": f"{url}/metadata/endpoints?api-version=2022-09-01",
        "ANSIBLE_AZURE_AUTH_SOURCE": "msi",
        "IDENTITY_ENDPOINT": f"{url}/msi/token",
        "IDENTITY_HEADER": secrets["identity_header"],
        "AZURE_SUBSCRIPTION_ID": DEFAULT_SUBSCRIPTION,
        "REQUESTS_CA_BUNDLE": ca,
        "SSL_CERT_FILE": ca,
        "AML_SANDBOX_URL": url,
        "AML_SANDBOX_TENANT_ID": TENANT_ID,
        "AML_SANDBOX_CLIENT_ID": SP_CLIENT_ID,
        "AML_SANDBOX_CLIENT_SECRET": secrets["client_secret"],
        # kubernetes.core's modules and kubectl-like clients read it: one context per cluster (its host name).
        "K8S_AUTH_KUBECONFIG": str((state_dir / "kubeconfig").resolve()),
    }


def write_env(state_dir: Path, url: str, secrets: dict[str, str]) -> None:
    lines = ["# Written by `python -m sandbox start`; source it: . .sandbox/env"]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in env_vars(state_dir, url, secrets).items()]
    _atomic_write(state_dir / "env", "\n".join(lines) + "\n", 0o600)


def host_names(clusters: dict[str, Any]) -> dict[str, str]:
    """Each cluster's inventory host name, which is also its kubeconfig context: its name; where several
    clusters share it, qualified with the resource group and subscription, then with the type (aks, arc)."""
    def qualified(c: dict[str, Any]) -> str:
        return f"{c['body']['name']}.{c['resource_group']}.{c['subscription'][:8]}"

    def count(names: list[str]) -> dict[str, int]:
        seen: dict[str, int] = {}
        for name in names:
            seen[name] = seen.get(name, 0) + 1
        return seen

    by_name = count([c["body"]["name"] for c in clusters.values()])
    by_qualified = count([qualified(c) for c in clusters.values()])
    hosts = {}
    for key, c in clusters.items():
        name = c["body"]["name"]
        if by_name[name] > 1:
            name = qualified(c)
            if by_qualified[name] > 1:
                name += ".aks" if c["cluster_type"] == "managedClusters" else ".arc"
        hosts[key] = name
    return hosts


def inventory(clusters: dict[str, Any], kubeconfig: str | None = None) -> dict[str, Any]:
    """group aml_clusters with children aks and arc; one host per seeded cluster."""
    groups: dict[str, dict[str, Any]] = {"aks": {}, "arc": {}}
    hosts = host_names(clusters)
    for key, c in sorted(clusters.items(), key=lambda kc: kc[1]["body"]["id"].lower()):
        body = c["body"]
        group = "aks" if c["cluster_type"] == "managedClusters" else "arc"
        groups[group][hosts[key]] = {
            "ansible_connection": "local",
            "aml_cluster_type": c["cluster_type"],
            "aml_cluster_name": body["name"],
            "aml_resource_group": c["resource_group"],
            "aml_subscription_id": c["subscription"],
            "aml_location": body.get("location"),
            "aml_kube_context": hosts[key],
        }
    # The modules call Azure from the controller, with the Python that runs Ansible (it has the SDKs).
    group_vars: dict[str, Any] = {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    if kubeconfig:
        group_vars["aml_kubeconfig"] = kubeconfig
    return {"all": {"children": {"aml_clusters": {
        "vars": group_vars,
        "children": {g: {"hosts": hosts} for g, hosts in groups.items()}}}}}


def write_inventory(state_dir: Path, clusters: dict[str, Any]) -> None:
    text = "# Written by the sandbox; regenerated whenever clusters are seeded or removed.\n"
    text += yaml.safe_dump(inventory(clusters, str((state_dir / "kubeconfig").resolve())),
                           sort_keys=False, default_flow_style=False)
    _atomic_write(state_dir / "inventory.yml", text)
