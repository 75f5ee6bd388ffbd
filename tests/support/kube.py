"""The Kubernetes side of seeded sandbox clusters, for integration tests: kubeconfig, clients, waiting.

Every sandbox cluster has a real control plane whose context in the sandbox's kubeconfig is named after
the cluster; tests look at it through the official client, as an operator would.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any, Callable

import yaml


def kubeconfig_path(sandbox) -> Path:
    """The sandbox's env file names it (K8S_AUTH_KUBECONFIG, as kubernetes.core reads it)."""
    return Path(sandbox.env["K8S_AUTH_KUBECONFIG"])


def kube_target(sandbox, cluster: dict[str, Any]) -> dict[str, str]:
    """kubeconfig and context options for a seeded cluster."""
    path = kubeconfig_path(sandbox)
    contexts = [c.get("name") for c in (yaml.safe_load(path.read_text()) or {}).get("contexts") or []]
    assert cluster["name"] in contexts, f"{path} has no context {cluster['name']}: {contexts}"
    return {"kubeconfig": str(path), "context": cluster["name"]}


def kube_api(sandbox, cluster: dict[str, Any]):
    import kubernetes

    options = kube_target(sandbox, cluster)
    return kubernetes.config.new_client_from_config(config_file=options["kubeconfig"], context=options["context"])


def scale(sandbox, cluster: dict[str, Any], deployment: str, replicas: int) -> None:
    """Break (or mend) a component through the Kubernetes API, as an operator would."""
    import kubernetes

    apps = kubernetes.client.AppsV1Api(kube_api(sandbox, cluster))
    apps.patch_namespaced_deployment_scale(deployment, "azureml", {"spec": {"replicas": replicas}})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kubeconfig_copy(source: Path, context: str, dest: Path, *, server: str | None = None,
                    token: str | None = None) -> Path:
    """The cluster's entry of the sandbox kubeconfig, with another server or user token."""
    config = yaml.safe_load(source.read_text())
    ctx = next(c for c in config["contexts"] if c["name"] == context)
    cluster = next(c for c in config["clusters"] if c["name"] == ctx["context"]["cluster"])
    user = next(u for u in config["users"] if u["name"] == ctx["context"]["user"])
    if server:
        cluster = {"name": cluster["name"], "cluster": {**cluster["cluster"], "server": server}}
    if token:
        user = {"name": "reader", "user": {"token": token}}
    dest.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": context, "clusters": [cluster], "users": [user],
        "contexts": [{"name": context, "context": {"cluster": cluster["name"], "user": user["name"]}}]}))
    return dest


def wait_until(check: Callable[[], Any], what: str, timeout: float = 120) -> Any:
    """check()'s first truthy value, polled each second; AssertionError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(1)
