# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two kinds of cluster an extension lives on, and the facts the settings processing reads."""

from __future__ import annotations

from typing import Any

# cluster_type -> (resource provider, resource type) in the extension's ARM id.
CLUSTER_PROVIDERS: dict[str, tuple[str, str]] = {
    "managedClusters": ("Microsoft.ContainerService", "managedClusters"),
    "connectedClusters": ("Microsoft.Kubernetes", "connectedClusters"),
}
CLUSTER_TYPES = list(CLUSTER_PROVIDERS)


def to_rest(model: Any) -> dict[str, Any]:
    """An SDK model as its ARM JSON (REST key names), whichever generator made the SDK."""
    if model is None:
        return {}
    if isinstance(model, dict):
        return model
    serialize = getattr(model, "serialize", None)
    if callable(serialize):  # AutoRest (msrest) models
        return serialize(keep_readonly=True)
    return dict(model.as_dict())  # TypeSpec models keep REST names


def node_count(cluster_type: str, cluster: dict[str, Any]) -> int | None:
    """Nodes the extension can schedule on: Arc reports a total, AKS the sum of its agent pools."""
    props = cluster.get("properties") or {}
    if cluster_type == "connectedClusters":
        return props.get("totalNodeCount")
    pools = props.get("agentPoolProfiles")
    if pools is None:
        return None
    return sum(int(p.get("count") or 0) for p in pools)


def cluster_summary(cluster_type: str, cluster: dict[str, Any]) -> dict[str, Any]:
    """The plain facts about a cluster, as the modules return and the settings processing reads them."""
    props = cluster.get("properties") or {}
    return {
        "cluster_type": cluster_type,
        "id": cluster.get("id"),
        "name": cluster.get("name"),
        "location": cluster.get("location"),
        "node_count": node_count(cluster_type, cluster),
        "distribution": props.get("distribution"),
        "kubernetes_version": props.get("currentKubernetesVersion") or props.get("kubernetesVersion"),
        "provisioning_state": props.get("provisioningState"),
    }
