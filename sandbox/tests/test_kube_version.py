"""ARM reports the Kubernetes version each cluster's real API server runs.

ARM writes the version without the leading "v" (`"kubernetesVersion":"1.36.4"` in the recorded
Microsoft.ContainerService body, ../shared/reference/recordings/k8s-extension-fleet-2025-03-01.yaml); the API
server's `/version` gitVersion carries it ("v1.35.4"). That "v" is the only difference allowed.
"""
from __future__ import annotations

import re

from kubernetes import client, config

from .conftest import client_kwargs


def _api_server_version(sandbox, context: str) -> str:
    """GET /version of the cluster, through its context in the sandbox's kubeconfig."""
    api = config.new_client_from_config(config_file=sandbox.env["K8S_AUTH_KUBECONFIG"], context=context)
    return client.VersionApi(api).get_code().git_version


def _as_arm_writes_it(git_version: str) -> str:
    assert re.fullmatch(r"v\d+\.\d+\.\d+", git_version), git_version
    return git_version[1:]


def test_arm_reports_the_version_the_api_server_runs(sandbox, credential):
    from azure.mgmt.containerservice import ContainerServiceClient
    from azure.mgmt.hybridkubernetes import ConnectedKubernetesClient

    aks_spec = sandbox.seed_cluster("managedClusters", name="ver-aks")
    arc_spec = sandbox.seed_cluster("connectedClusters", name="ver-arc")
    sub = sandbox.subscription_id
    aks = ContainerServiceClient(credential, sub, **client_kwargs(sandbox)).managed_clusters.get(
        aks_spec["resource_group"], aks_spec["name"])
    arc = ConnectedKubernetesClient(credential, sub, **client_kwargs(sandbox)).connected_cluster.get(
        arc_spec["resource_group"], arc_spec["name"])

    aks_running = _as_arm_writes_it(_api_server_version(sandbox, aks_spec["name"]))
    assert aks.current_kubernetes_version == aks_running
    assert aks.kubernetes_version == aks_running  # seeded without a requested version: the one it runs
    assert arc.kubernetes_version == _as_arm_writes_it(_api_server_version(sandbox, arc_spec["name"]))
