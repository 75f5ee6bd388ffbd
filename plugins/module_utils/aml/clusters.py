# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two kinds of cluster an extension lives on, and the one type for what is known about a cluster (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# cluster_type -> (resource provider, resource type) in the cluster's and the extension's ARM id.
CLUSTER_PROVIDERS: dict[str, tuple[str, str]] = {
    "managedClusters": ("Microsoft.ContainerService", "managedClusters"),
    "connectedClusters": ("Microsoft.Kubernetes", "connectedClusters"),
}
CLUSTER_TYPES = list(CLUSTER_PROVIDERS)
# The api-versions every read and write of these resources uses: the defaults of the pinned SDKs
# (azure-mgmt-containerservice 41.8.0, azure-mgmt-hybridkubernetes 2.0.0, azure-mgmt-kubernetesconfiguration 3.1.0).
CLUSTER_API_VERSIONS: dict[str, str] = {"managedClusters": "2026-08-01", "connectedClusters": "2026-05-01"}
EXTENSIONS_API_VERSION = "2023-05-01"
# The options that name one cluster; doc fragment azureml.kubernetes.cluster documents them.
CLUSTER_ARGUMENT_SPEC: dict[str, dict[str, Any]] = dict(
    cluster_type=dict(type="str", required=True, choices=CLUSTER_TYPES),
    cluster_name=dict(type="str", required=True),
    resource_group=dict(type="str", required=True),
)
# inferenceRouterHA runs three router replicas; under this many nodes the CLI (and we) default it off.
MIN_HA_NODES = 3


def cluster_resource_id(subscription_id: str, resource_group: str, cluster_type: str, cluster_name: str) -> str:
    """The cluster's ARM id as az k8s-extension builds it (``resourceGroups``, the RP's own casing).

    Not AKS's ``id`` field, which spells ``/resourcegroups/``: the CLI, and every extension it installed,
    reads the id below, so the same cluster reads the same everywhere.
    """
    provider, resource_type = CLUSTER_PROVIDERS[cluster_type]
    return (f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/{provider}/"
            f"{resource_type}/{cluster_name}")


@dataclass(frozen=True)
class ClusterFacts:
    """What the modules learn about a cluster: the settings processing reads it, the modules return it."""

    cluster_type: str  # 'managedClusters' or 'connectedClusters'
    resource_id: str  # as the CLI builds it, see cluster_resource_id
    name: str
    location: str
    node_count: int | None = None
    distribution: str | None = None
    kubernetes_version: str | None = None
    provisioning_state: str | None = None

    @property
    def small(self) -> bool:
        """Too few nodes for three router replicas (an unknown count is not small)."""
        return self.node_count is not None and self.node_count < MIN_HA_NODES

    def view(self) -> dict[str, Any]:
        """The facts as the module returns them (RETURN `cluster`)."""
        return {
            "cluster_type": self.cluster_type,
            "id": self.resource_id,
            "name": self.name,
            "location": self.location,
            "node_count": self.node_count,
            "distribution": self.distribution,
            "kubernetes_version": self.kubernetes_version,
            "provisioning_state": self.provisioning_state,
        }


def node_count(cluster_type: str, cluster: dict[str, Any]) -> int | None:
    """Nodes the extension can schedule on: Arc reports a total, AKS the sum of its agent pools."""
    props = cluster.get("properties") or {}
    if cluster_type == "connectedClusters":
        return props.get("totalNodeCount")
    pools = props.get("agentPoolProfiles")
    if pools is None:
        return None
    return sum(int(p.get("count") or 0) for p in pools)


# The settings an install computes from the cluster resource (its location and name); an existing extension that
# holds every one of them needs no read of the cluster to be compared (see facts_from_settings).
CLUSTER_DERIVED_SETTINGS = ("location", "domain", "jobSchedulerLocation", "cluster_name_friendly")


def facts_from_settings(cluster_type: str, settings: dict[str, Any], *, subscription_id: str, resource_group: str,
                        cluster_name: str) -> ClusterFacts | None:
    """The facts an existing extension's settings hold about its cluster, or None when one is missing.

    What only the cluster resource tells (node count, distribution, Kubernetes version, provisioning state) is
    unknown (None): the node-count and OpenShift heuristics apply when the extension is written, which reads the
    cluster. ``location`` is the one the install computed (lower-cased, as the CLI sends it).
    """
    if any(not settings.get(key) for key in CLUSTER_DERIVED_SETTINGS):
        return None
    return ClusterFacts(
        cluster_type=cluster_type,
        resource_id=cluster_resource_id(subscription_id, resource_group, cluster_type, cluster_name),
        name=str(settings["cluster_name_friendly"]),
        location=str(settings["location"]),
    )


def cluster_facts(cluster_type: str, cluster: dict[str, Any], *, subscription_id: str, resource_group: str,
                  cluster_name: str) -> ClusterFacts:
    """The facts of a cluster resource (ARM JSON) found under the given subscription and resource group."""
    props = cluster.get("properties") or {}
    return ClusterFacts(
        cluster_type=cluster_type,
        resource_id=cluster_resource_id(subscription_id, resource_group, cluster_type, cluster_name),
        name=cluster.get("name") or cluster_name,
        location=cluster.get("location") or "",
        node_count=node_count(cluster_type, cluster),
        distribution=props.get("distribution"),
        kubernetes_version=props.get("currentKubernetesVersion") or props.get("kubernetesVersion"),
        provisioning_state=props.get("provisioningState"),
    )
