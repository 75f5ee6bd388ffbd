# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read an AKS or Arc-enabled cluster into ClusterFacts (raises, never exits)."""

from __future__ import annotations

from typing import Any

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import (
    CLUSTER_API_VERSIONS,
    CLUSTER_PROVIDERS,
    ClusterFacts,
    cluster_facts,
)
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import NotFound
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.resources import call, json_body, to_rest
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.rest import resource_path

try:
    from azure.core import MatchConditions
except ImportError:  # AzureModule reports the missing SDK
    MatchConditions = None


def cluster_path(subscription_id: str, resource_group: str, cluster_type: str, cluster_name: str, *below: str) -> str:
    """The cluster's ARM path (or a path below it), each segment quoted as the SDKs quote path arguments."""
    provider, resource_type = CLUSTER_PROVIDERS[cluster_type]
    return resource_path("subscriptions", subscription_id, "resourceGroups", resource_group, "providers", provider,
                         resource_type, cluster_name, *below)


class Clusters:
    """One cluster of the task: its type, resource group and name."""

    def __init__(self, azure: Any, cluster_type: str, resource_group: str, cluster_name: str) -> None:
        self.azure = azure
        self.cluster_type = cluster_type
        self.resource_group = resource_group
        self.cluster_name = cluster_name

    @property
    def where(self) -> str:
        return f"{self.cluster_type}/{self.cluster_name} in resource group {self.resource_group}"

    def _path(self, *below: str) -> str:
        return cluster_path(self.azure.subscription_id, self.resource_group, self.cluster_type, self.cluster_name, *below)

    def resource(self) -> dict[str, Any] | None:
        """The cluster as ARM JSON (a plain GET, every field Azure sent), or None when it does not exist."""
        return self.azure.reader.get(self._path(), CLUSTER_API_VERSIONS[self.cluster_type], f"read cluster {self.where}")

    def _managed_clusters(self) -> Any:
        from azure.mgmt.containerservice import ContainerServiceClient

        return self.azure.client(ContainerServiceClient).managed_clusters

    def put_managed_cluster(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """PUT the whole AKS cluster back (if its eTag still matches) and wait; the result (None with wait: false)."""
        action = f"update cluster {self.where}"
        etag = body.get("eTag") or body.get("etag")
        match = dict(etag=etag, match_condition=MatchConditions.IfNotModified) if etag and MatchConditions else {}
        poller = call(lambda: self._managed_clusters().begin_create_or_update(
            self.resource_group, self.cluster_name, json_body(body), polling=self.azure.waiter.polling(), **match),
            action)
        return to_rest(self.azure.waiter.result(poller, action)) or None

    def exists(self) -> bool:
        return self.resource() is not None

    def facts(self) -> ClusterFacts:
        """The cluster's facts; a missing cluster raises NotFound with what to check."""
        found = self.resource()
        if found is None:
            raise self.not_found()
        return self.facts_of(found)

    def facts_of(self, found: dict[str, Any]) -> ClusterFacts:
        """The facts of this cluster's resource, as read (ARM JSON)."""
        return cluster_facts(self.cluster_type, found, subscription_id=self.azure.subscription_id,
                             resource_group=self.resource_group, cluster_name=self.cluster_name)

    def not_found(self) -> NotFound:
        other = "connectedClusters" if self.cluster_type == "managedClusters" else "managedClusters"
        return NotFound(
            f"Cluster {self.where} was not found in subscription {self.azure.subscription_id}. Check "
            f"cluster_name and resource_group, and cluster_type ({other} if it is "
            f"{'an Arc-enabled' if other == 'connectedClusters' else 'an AKS'} cluster).")

    def trusted_access_bindings(self) -> list[dict[str, Any]]:
        """The AKS cluster's Trusted Access role bindings as ARM JSON (raises AzureCallError when unreadable,
        a 404 too: the callers tell a cloud that does not serve them by it)."""
        return self.azure.reader.list(self._path("trustedAccessRoleBindings"), CLUSTER_API_VERSIONS[self.cluster_type],
                                      f"list the Trusted Access role bindings of {self.where}", missing_is_none=False) or []
