# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure calls about one cluster and its extensions, through the AzureModule door."""

from __future__ import annotations

import io
import json
import time
from functools import cached_property
from typing import Any

from ansible_collections.azureml.kubernetes.plugins.module_utils.azure_module import AzureModule
from ansible_collections.azureml.kubernetes.plugins.module_utils.clusters import CLUSTER_PROVIDERS, to_rest

try:
    from azure.core.exceptions import ResourceNotFoundError
except ImportError:  # AzureModule reports the missing SDK
    ResourceNotFoundError = LookupError

PROVIDER_NAMESPACE = "Microsoft.KubernetesConfiguration"
REGISTRATION_POLL_SECONDS = 2


class ExtensionService:
    """Reads and writes the extensions of one cluster."""

    def __init__(self, azure: AzureModule, cluster_type: str, resource_group: str, cluster_name: str) -> None:
        self.azure = azure
        self.cluster_type = cluster_type
        self.resource_group = resource_group
        self.cluster_name = cluster_name
        self.cluster_rp, self.cluster_resource = CLUSTER_PROVIDERS[cluster_type]

    # --- clients, built on first use so a run that needs none makes none
    @cached_property
    def _extensions(self) -> Any:
        from azure.mgmt.kubernetesconfiguration import SourceControlConfigurationClient

        return self.azure.client(SourceControlConfigurationClient).extensions

    def _path(self, name: str | None = None) -> tuple[Any, ...]:
        base = (self.resource_group, self.cluster_rp, self.cluster_resource, self.cluster_name)
        return base if name is None else base + (name,)

    @property
    def where(self) -> str:
        return f"{self.cluster_type}/{self.cluster_name} in resource group {self.resource_group}"

    # --- the cluster
    def cluster(self) -> dict[str, Any]:
        """The cluster resource as ARM JSON; a missing cluster fails with what to check."""
        if self.cluster_type == "managedClusters":
            from azure.mgmt.containerservice import ContainerServiceClient

            get = self.azure.client(ContainerServiceClient).managed_clusters.get
        else:
            from azure.mgmt.hybridkubernetes import ConnectedKubernetesClient

            get = self.azure.client(ConnectedKubernetesClient).connected_cluster.get
        try:
            return to_rest(get(self.resource_group, self.cluster_name))
        except ResourceNotFoundError:
            other = "connectedClusters" if self.cluster_type == "managedClusters" else "managedClusters"
            self.azure.fail(
                f"Cluster {self.where} was not found in subscription {self.azure.subscription_id}. Check "
                f"cluster_name and resource_group, and cluster_type ({other} if it is "
                f"{'an Arc-enabled' if other == 'connectedClusters' else 'an AKS'} cluster)."
            )
        except Exception as exc:  # an AzureError: one readable failure
            self.azure.fail_azure(exc, f"read cluster {self.where}")

    # --- the resource provider
    def provider_registered(self) -> bool:
        from azure.mgmt.resource.resources import ResourceManagementClient

        providers = self.azure.client(ResourceManagementClient).providers
        provider = self.azure.call(lambda: providers.get(PROVIDER_NAMESPACE), f"read provider {PROVIDER_NAMESPACE}")
        return (provider.registration_state or "").lower() == "registered"

    def register_provider(self) -> None:
        """Register Microsoft.KubernetesConfiguration and wait for it within wait_timeout."""
        from azure.mgmt.resource.resources import ResourceManagementClient

        providers = self.azure.client(ResourceManagementClient).providers
        self.azure.call(lambda: providers.register(PROVIDER_NAMESPACE), f"register provider {PROVIDER_NAMESPACE}")
        deadline = time.monotonic() + (self.azure.params.get("wait_timeout") or 600)
        while not self.provider_registered():
            if time.monotonic() > deadline:
                self.azure.fail(f"Provider {PROVIDER_NAMESPACE} is still registering after wait_timeout; run again "
                                "later or raise wait_timeout.")
            time.sleep(REGISTRATION_POLL_SECONDS)

    # --- extensions
    def get(self, name: str) -> dict[str, Any] | None:
        try:
            return to_rest(self._extensions.get(*self._path(name)))
        except ResourceNotFoundError:
            return None
        except Exception as exc:
            self.azure.fail_azure(exc, f"read extension {name} on {self.where}")

    def list(self) -> list[dict[str, Any]]:
        return self.azure.call(lambda: [to_rest(e) for e in self._extensions.list(*self._path())],
                               f"list the extensions on {self.where}")

    def create(self, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        poller = self.azure.call(lambda: self._extensions.begin_create(*self._path(name), _json(body)),
                                 f"create extension {name} on {self.where}")
        return to_rest(self.azure.wait_for(poller, f"create extension {name} on {self.where}")) or None

    def update(self, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        poller = self.azure.call(lambda: self._extensions.begin_update(*self._path(name), _json(body)),
                                 f"update extension {name} on {self.where}")
        return to_rest(self.azure.wait_for(poller, f"update extension {name} on {self.where}")) or None

    def delete(self, name: str, force: bool) -> None:
        poller = self.azure.call(
            lambda: self._extensions.begin_delete(*self._path(name), force_delete=True if force else None),
            f"delete extension {name} on {self.where}")
        self.azure.wait_for(poller, f"delete extension {name} on {self.where}")


def _json(body: dict[str, Any]) -> io.BytesIO:
    """The body as JSON bytes, so the SDK sends exactly it (its models would add defaults)."""
    return io.BytesIO(json.dumps(body).encode("utf-8"))
