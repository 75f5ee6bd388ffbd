# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure calls about the extensions of one cluster (raises typed errors, never exits)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import CLUSTER_PROVIDERS, EXTENSIONS_API_VERSION
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import IN_PROGRESS, provisioning_state
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.resources import call, json_body, to_rest
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.clusters import cluster_path

# How the KubernetesConfiguration RP's operations end (as the SDK's own polling is configured).
LRO_OPTIONS = {"final-state-via": "azure-async-operation"}


class Extensions:
    """Reads (plain ARM GETs) and writes (the SDK client and its poller) the extensions of one cluster."""

    def __init__(self, azure: Any, cluster_type: str, resource_group: str, cluster_name: str) -> None:
        self.azure = azure
        self.cluster_type = cluster_type
        self.resource_group = resource_group
        self.cluster_name = cluster_name
        self.cluster_rp, self.cluster_resource = CLUSTER_PROVIDERS[cluster_type]

    @cached_property
    def _extensions(self) -> Any:
        from azure.mgmt.kubernetesconfiguration import SourceControlConfigurationClient

        return self.azure.client(SourceControlConfigurationClient).extensions

    def _path(self, name: str | None = None) -> tuple[Any, ...]:
        base = (self.resource_group, self.cluster_rp, self.cluster_resource, self.cluster_name)
        return base if name is None else base + (name,)

    def _rest_path(self, name: str | None = None) -> str:
        below = ("providers", "Microsoft.KubernetesConfiguration", "extensions") + (() if name is None else (name,))
        return cluster_path(self.azure.subscription_id, self.resource_group, self.cluster_type, self.cluster_name, *below)

    @property
    def where(self) -> str:
        return f"{self.cluster_type}/{self.cluster_name} in resource group {self.resource_group}"

    def get(self, name: str) -> dict[str, Any] | None:
        """The extension as ARM JSON, or None when it does not exist."""
        return self.azure.reader.get(self._rest_path(name), EXTENSIONS_API_VERSION, f"read extension {name} on {self.where}")

    def list(self) -> list[dict[str, Any]] | None:
        """Every extension on the cluster; None when the cluster does not exist."""
        return self.azure.reader.list(self._rest_path(), EXTENSIONS_API_VERSION, f"list the extensions on {self.where}")

    def settle(self, name: str, current: dict[str, Any] | None) -> dict[str, Any] | None:
        """Wait (when wait is true) for an operation already running on the extension to end."""
        if provisioning_state(current) not in IN_PROGRESS or not self.azure.waiter.enabled:
            return current
        return self.azure.waiter.until(
            lambda: self.get(name), lambda ext: provisioning_state(ext) not in IN_PROGRESS,
            f"the operation already running on extension {name} ({provisioning_state(current)}) to end")

    def create(self, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """PUT a new extension; its outcome (None with wait: false). A Failed end raises AzureCallError."""
        return self._write("create", name, body)

    def update(self, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """PATCH an extension; its outcome (None with wait: false). A Failed end raises AzureCallError."""
        return self._write("update", name, body)

    def _write(self, verb: str, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        action = f"{verb} extension {name} on {self.where}"
        begin = self._extensions.begin_create if verb == "create" else self._extensions.begin_update
        poller = call(lambda: begin(*self._path(name), json_body(body), polling=self.azure.waiter.polling(
            lro_options=dict(LRO_OPTIONS))), action)
        return to_rest(self.azure.waiter.result(poller, action)) or None

    def delete(self, name: str, force: bool) -> None:
        action = f"delete extension {name} on {self.where}"
        poller = call(lambda: self._extensions.begin_delete(
            *self._path(name), force_delete=True if force else None,
            polling=self.azure.waiter.polling(lro_options=dict(LRO_OPTIONS))), action)
        self.azure.waiter.result(poller, action)
