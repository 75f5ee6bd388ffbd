# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure calls about one cluster and its extensions, through the AzureModule door."""

from __future__ import annotations

import io
import json
from functools import cached_property
from typing import Any, Callable

from ansible_collections.azureml.kubernetes.plugins.module_utils.azure_module import AzureModule
from ansible_collections.azureml.kubernetes.plugins.module_utils.clusters import CLUSTER_PROVIDERS, to_rest

try:
    from azure.core.exceptions import ResourceNotFoundError
except ImportError:  # AzureModule reports the missing SDK
    ResourceNotFoundError = LookupError

PROVIDER_NAMESPACE = "Microsoft.KubernetesConfiguration"
# Provisioning states of an operation still running in Azure (another run's, or one left by wait: false).
IN_PROGRESS = frozenset({"creating", "updating", "deleting", "accepted", "provisioning"})


def provisioning_state(resource: dict[str, Any] | None) -> str:
    return (((resource or {}).get("properties") or {}).get("provisioningState") or "").lower()


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

    # --- reads: a missing resource is None, any other Azure error one readable failure
    def _read(self, operation: Callable[[], Any], action: str) -> dict[str, Any] | None:
        try:
            return to_rest(operation())
        except ResourceNotFoundError:
            return None
        except Exception as exc:  # an AzureError
            self.azure.fail_azure(exc, action)

    # --- the cluster
    def _cluster_or_none(self) -> dict[str, Any] | None:
        if self.cluster_type == "managedClusters":
            from azure.mgmt.containerservice import ContainerServiceClient

            get = self.azure.client(ContainerServiceClient).managed_clusters.get
        else:
            from azure.mgmt.hybridkubernetes import ConnectedKubernetesClient

            get = self.azure.client(ConnectedKubernetesClient).connected_cluster.get
        return self._read(lambda: get(self.resource_group, self.cluster_name), f"read cluster {self.where}")

    def cluster(self) -> dict[str, Any]:
        """The cluster resource as ARM JSON; a missing cluster fails with what to check."""
        found = self._cluster_or_none()
        if found is None:
            other = "connectedClusters" if self.cluster_type == "managedClusters" else "managedClusters"
            self.azure.fail(
                f"Cluster {self.where} was not found in subscription {self.azure.subscription_id}. Check "
                f"cluster_name and resource_group, and cluster_type ({other} if it is "
                f"{'an Arc-enabled' if other == 'connectedClusters' else 'an AKS'} cluster)."
            )
        return found

    def cluster_exists(self) -> bool:
        return self._cluster_or_none() is not None

    # --- resource providers
    @cached_property
    def _providers(self) -> Any:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return self.azure.client(ResourceManagementClient).providers

    def provider_registered(self, namespace: str = PROVIDER_NAMESPACE) -> bool:
        provider = self.azure.call(lambda: self._providers.get(namespace), f"read provider {namespace}")
        return (provider.registration_state or "").lower() == "registered"

    def register_provider(self, namespace: str = PROVIDER_NAMESPACE) -> None:
        """Register a resource provider and wait for it within wait_timeout."""
        self.azure.call(lambda: self._providers.register(namespace), f"register provider {namespace}")
        self.azure.wait_until(lambda: self.provider_registered(namespace), bool,
                              f"resource provider {namespace} to be registered")

    # --- extensions
    def get(self, name: str) -> dict[str, Any] | None:
        return self._read(lambda: self._extensions.get(*self._path(name)), f"read extension {name} on {self.where}")

    def list(self) -> list[dict[str, Any]]:
        try:
            return [to_rest(e) for e in self._extensions.list(*self._path())]
        except ResourceNotFoundError:
            self.cluster()  # fails with the clear message when the cluster is missing
            return []
        except Exception as exc:
            self.azure.fail_azure(exc, f"list the extensions on {self.where}")

    def settle(self, name: str, current: dict[str, Any] | None) -> dict[str, Any] | None:
        """Wait (when wait is true) for an operation already running on the extension to end."""
        if provisioning_state(current) not in IN_PROGRESS or not self.azure.params.get("wait", True):
            return current
        return self.azure.wait_until(
            lambda: self.get(name), lambda ext: provisioning_state(ext) not in IN_PROGRESS,
            f"the operation already running on extension {name} ({provisioning_state(current)}) to end")

    def create(self, name: str, body: dict[str, Any], on_failure: Callable[[BaseException], None]) -> dict[str, Any] | None:
        action = f"create extension {name} on {self.where}"
        poller = self.azure.call(lambda: self._extensions.begin_create(*self._path(name), _json(body)), action)
        return to_rest(self.azure.wait_for(poller, action, on_failure=on_failure)) or None

    def update(self, name: str, body: dict[str, Any], on_failure: Callable[[BaseException], None]) -> dict[str, Any] | None:
        action = f"update extension {name} on {self.where}"
        poller = self.azure.call(lambda: self._extensions.begin_update(*self._path(name), _json(body)), action)
        return to_rest(self.azure.wait_for(poller, action, on_failure=on_failure)) or None

    def delete(self, name: str, force: bool) -> None:
        poller = self.azure.call(
            lambda: self._extensions.begin_delete(*self._path(name), force_delete=True if force else None),
            f"delete extension {name} on {self.where}")
        self.azure.wait_for(poller, f"delete extension {name} on {self.where}")


def _json(body: dict[str, Any]) -> io.BytesIO:
    """The body as JSON bytes, so the SDK sends exactly it (its models would add defaults)."""
    return io.BytesIO(json.dumps(body).encode("utf-8"))
