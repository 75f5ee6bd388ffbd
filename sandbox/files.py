"""DIR/env and DIR/inventory.yml, exactly as docs/architecture.md ("The sandbox contract") describes."""
from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .world import DEFAULT_SUBSCRIPTION, SP_CLIENT_ID, TENANT_ID

if TYPE_CHECKING:
    from .core import Sandbox


def _atomic_write(path: Path, text: str, mode: int = 0o644) -> None:
    fd, tmp = tempfile.mkstemp(dir=str(path.parent), prefix="." + path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def env_vars(sb: "Sandbox") -> dict[str, str]:
    assert sb.state_dir is not None
    ca = str((sb.state_dir / "ca.pem").resolve())
    return {
        "AZURE_CLOUD_ENVIRONMENT": f"{sb.url}/metadata/endpoints?api-version=2022-09-01",
        "ANSIBLE_AZURE_AUTH_SOURCE": "msi",
        "IDENTITY_ENDPOINT": f"{sb.url}/msi/token",
        "IDENTITY_HEADER": sb.secrets["identity_header"],
        "AZURE_SUBSCRIPTION_ID": DEFAULT_SUBSCRIPTION,
        "REQUESTS_CA_BUNDLE": ca,
        "SSL_CERT_FILE": ca,
        "AML_SANDBOX_URL": sb.url,
        "AML_SANDBOX_TENANT_ID": TENANT_ID,
        "AML_SANDBOX_CLIENT_ID": SP_CLIENT_ID,
        "AML_SANDBOX_CLIENT_SECRET": sb.secrets["client_secret"],
    }


def write_env(sb: "Sandbox") -> None:
    assert sb.state_dir is not None
    lines = ["# Written by `python -m sandbox start`; source it: . .sandbox/env"]
    lines += [f"export {k}={shlex.quote(v)}" for k, v in env_vars(sb).items()]
    _atomic_write(sb.state_dir / "env", "\n".join(lines) + "\n", 0o600)


def inventory(sb: "Sandbox") -> dict[str, Any]:
    """group aml_clusters with children aks and arc; one host per seeded cluster."""
    groups: dict[str, dict[str, Any]] = {"aks": {}, "arc": {}}
    seen: dict[str, int] = {}
    for c in sorted(sb.data["clusters"].values(), key=lambda c: c["body"]["id"].lower()):
        name = c["body"]["name"]
        seen[name] = seen.get(name, 0) + 1
    for c in sorted(sb.data["clusters"].values(), key=lambda c: c["body"]["id"].lower()):
        body = c["body"]
        name = body["name"]
        # Same name in several resource groups/subscriptions: qualify the host name.
        host = name if seen[name] == 1 else f"{name}.{c['resource_group']}.{c['subscription'][:8]}"
        group = "aks" if c["cluster_type"] == "managedClusters" else "arc"
        groups[group][host] = {
            "ansible_connection": "local",
            "aml_cluster_type": c["cluster_type"],
            "aml_cluster_name": name,
            "aml_resource_group": c["resource_group"],
            "aml_subscription_id": c["subscription"],
            "aml_location": body.get("location"),
        }
    # The modules call Azure from the controller, with the Python that runs Ansible (it has the SDKs).
    return {"all": {"children": {"aml_clusters": {
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "children": {g: {"hosts": hosts} for g, hosts in groups.items()}}}}}


def write_inventory(sb: "Sandbox") -> None:
    assert sb.state_dir is not None
    text = "# Written by the sandbox; regenerated whenever clusters are seeded or removed.\n"
    text += yaml.safe_dump(inventory(sb), sort_keys=False, default_flow_style=False)
    _atomic_write(sb.state_dir / "inventory.yml", text)
