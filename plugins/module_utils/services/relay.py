# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure Relay resources an Arc install needs: created or reused as az k8s-extension does.

The names come from `aml/relay.relay_names`, so a cluster first installed with the CLI reuses the CLI's
Relay namespace instead of getting a second one. The Relay resources are prerequisites of the extension,
so they are always waited for, even with `wait: false`. Raises typed errors, never exits.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.relay import RelayNames
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import CollectionError
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.resources import call
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.rest import resource_path

# azure-mgmt-relay's default, for the reads (plain ARM GETs) as for the SDK client's writes.
RELAY_API_VERSION = "2026-01-01"
# The tag az k8s-extension puts on what it creates; we use the same so either tool recognises them.
CREATED_BY_TAG = {"created_by": "Azure Arc-enabled ML"}
RULE_RIGHTS = ["Manage", "Send", "Listen"]


def _state(resource: Any) -> str:
    return (((resource or {}).get("properties") or {}).get("provisioningState") or "succeeded").lower()


class RelayService:
    """Reads, creates and removes one cluster's Relay namespace, hybrid connection and rule."""

    def __init__(self, azure: Any, names: RelayNames) -> None:
        self.azure = azure
        self.names = names

    @cached_property
    def _client(self) -> Any:
        from azure.mgmt.relay import RelayAPIMgmtClient

        return self.azure.client(RelayAPIMgmtClient)

    def _polling(self) -> Any:
        # The Relay SDK resolves operation URLs against its endpoint, as its own polling does.
        return self.azure.waiter.polling(path_format_arguments={"endpoint": self.azure.cloud.resource_manager})

    def _read(self, *below_namespace: str) -> dict[str, Any] | None:
        """The namespace, or a resource below it, as ARM JSON (a plain GET); None when it does not exist."""
        n = self.names
        path = resource_path("subscriptions", self.azure.subscription_id, "resourceGroups", n.resource_group,
                             "providers", "Microsoft.Relay", "namespaces", n.namespace, *below_namespace)
        return self.azure.reader.get(path, RELAY_API_VERSION, f"read Azure Relay {'/'.join((n.namespace,) + below_namespace)}")

    def _namespace(self) -> dict[str, Any] | None:
        return self._read()

    def _hybrid_connection(self) -> dict[str, Any] | None:
        return self._read("hybridConnections", self.names.hybrid_connection)

    def _rule(self) -> dict[str, Any] | None:
        return self._read("hybridConnections", self.names.hybrid_connection, "authorizationRules", self.names.rule)

    def complete(self) -> bool:
        """Whether the hybrid connection and its rule both exist: one read, of the rule, which ARM finds only under
        its hybrid connection and namespace."""
        return call(lambda: self._rule() is not None,
                    f"read Azure Relay hybrid connection {self.names.hybrid_connection}")

    def removal_plan(self) -> list[str]:
        """What remove() would delete (reads only, for check mode)."""
        return call(self._removal_plan, f"read the Azure Relay resources of {self.names.hybrid_connection}")

    def _removal_plan(self) -> list[str]:
        n, plan = self.names, []
        if self._hybrid_connection() is not None:
            plan.append(f"hybrid connection {n.hybrid_connection}")
        if self._namespace() is not None:
            others = [hc for hc in self._client.hybrid_connections.list_by_namespace(n.resource_group, n.namespace)
                      if (hc.get("name") or "").lower() != n.hybrid_connection.lower()]
            if not others:
                plan.append(f"namespace {n.namespace}")
        return plan

    def ensure(self, location: str) -> list[str]:
        """Create what is missing of namespace, hybrid connection and rule; return what was created."""
        return call(lambda: self._ensure(location),
                    f"create the Azure Relay resources in {self.names.resource_group}")

    def _ensure(self, location: str) -> list[str]:
        n, created = self.names, []
        namespace = self._namespace()
        if namespace is None:
            poller = self._client.namespaces.begin_create_or_update(
                n.resource_group, n.namespace,
                {"location": location, "sku": {"name": "Standard", "tier": "Standard"}, "tags": dict(CREATED_BY_TAG)},
                polling=self._polling())
            self.azure.waiter.result(poller, f"create the Azure Relay namespace {n.namespace}", always=True)
            created.append(f"namespace {n.namespace}")
        elif _state(namespace) != "succeeded":
            # Another run (or the CLI) is still creating it: a hybrid connection cannot be added before.
            self.azure.waiter.until(self._namespace, lambda ns: _state(ns) in ("succeeded", "failed"),
                                    f"the Azure Relay namespace {n.namespace} to be created")
        if self._hybrid_connection() is None:
            self._client.hybrid_connections.create_or_update(
                n.resource_group, n.namespace, n.hybrid_connection, {"properties": {"requiresClientAuthorization": True}})
            created.append(f"hybrid connection {n.hybrid_connection}")
        if self._rule() is None:
            self._client.hybrid_connections.create_or_update_authorization_rule(
                n.resource_group, n.namespace, n.hybrid_connection, n.rule, {"properties": {"rights": list(RULE_RIGHTS)}})
            created.append(f"authorization rule {n.rule}")
        return created

    def connection_string(self) -> str:
        """The rule's primary connection string (a secret: the runner masks it, as the settings table says)."""
        n = self.names
        keys = call(
            lambda: self._client.hybrid_connections.list_keys(n.resource_group, n.namespace, n.hybrid_connection, n.rule),
            f"read the keys of Azure Relay hybrid connection {n.hybrid_connection}")
        secret = keys.get("primaryConnectionString")
        if not secret:
            raise CollectionError(f"Azure Relay returned no connection string for rule {n.rule} of hybrid connection "
                                  f"{n.hybrid_connection}: check the rule has Manage, Send and Listen rights.")
        return secret

    def remove(self) -> list[str]:
        """Delete the cluster's hybrid connection, and the namespace when nothing else lives in it."""
        return call(self._remove, f"delete the Azure Relay resources of {self.names.hybrid_connection}")

    def _remove(self) -> list[str]:
        n, plan = self.names, self._removal_plan()
        if f"hybrid connection {n.hybrid_connection}" in plan:
            self._client.hybrid_connections.delete(n.resource_group, n.namespace, n.hybrid_connection)
        if f"namespace {n.namespace}" in plan:
            self.azure.waiter.result(self._client.namespaces.begin_delete(n.resource_group, n.namespace,
                                                                          polling=self._polling()),
                                     f"delete the Azure Relay namespace {n.namespace}", always=True)
        return plan
