# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure Relay resources an Arc install needs: created or reused as az k8s-extension does.

The names come from `aml_settings.relay_resource_names`, so a cluster first installed with the CLI
reuses the CLI's Relay namespace instead of getting a second one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

try:
    from azure.core.exceptions import ResourceNotFoundError
except ImportError:  # AzureModule reports the missing SDK before this is used
    ResourceNotFoundError = LookupError

# The tag az k8s-extension puts on what it creates; we use the same so either tool recognises them.
CREATED_BY_TAG = {"created_by": "Azure Arc-enabled ML"}
RULE_RIGHTS = ["Manage", "Send", "Listen"]


@dataclass(frozen=True)
class RelayNames:
    resource_group: str
    namespace: str
    hybrid_connection: str
    rule: str

    def hybrid_connection_id(self, subscription_id: str) -> str:
        return (f"/subscriptions/{subscription_id}/resourceGroups/{self.resource_group}/providers/Microsoft.Relay"
                f"/namespaces/{self.namespace}/hybridConnections/{self.hybrid_connection}")


def _get_or_none(get: Callable[[], Any]) -> Any:
    try:
        return get()
    except ResourceNotFoundError:
        return None


def ensure_relay(client: Any, names: RelayNames, location: str, wait: Callable[[Any, str], Any]) -> list[str]:
    """Create what is missing of namespace, hybrid connection and rule; return what was created."""
    created = []
    ops_ns, ops_hc = client.namespaces, client.hybrid_connections
    if _get_or_none(lambda: ops_ns.get(names.resource_group, names.namespace)) is None:
        poller = ops_ns.begin_create_or_update(
            names.resource_group, names.namespace,
            {"location": location, "sku": {"name": "Standard", "tier": "Standard"}, "tags": dict(CREATED_BY_TAG)})
        wait(poller, f"create the Azure Relay namespace {names.namespace}")
        created.append(f"namespace {names.namespace}")
    if _get_or_none(lambda: ops_hc.get(names.resource_group, names.namespace, names.hybrid_connection)) is None:
        ops_hc.create_or_update(names.resource_group, names.namespace, names.hybrid_connection,
                                {"properties": {"requiresClientAuthorization": True}})
        created.append(f"hybrid connection {names.hybrid_connection}")
    rule = _get_or_none(lambda: ops_hc.get_authorization_rule(
        names.resource_group, names.namespace, names.hybrid_connection, names.rule))
    if rule is None:
        ops_hc.create_or_update_authorization_rule(
            names.resource_group, names.namespace, names.hybrid_connection, names.rule,
            {"properties": {"rights": list(RULE_RIGHTS)}})
        created.append(f"authorization rule {names.rule}")
    return created


def connection_string(client: Any, names: RelayNames) -> str:
    """The rule's primary connection string (a secret: the caller masks it)."""
    keys = client.hybrid_connections.list_keys(names.resource_group, names.namespace, names.hybrid_connection,
                                               names.rule)
    return keys["primaryConnectionString"]


def remove_relay(client: Any, names: RelayNames, wait: Callable[[Any, str], Any]) -> list[str]:
    """Delete the cluster's hybrid connection, and the namespace when nothing else lives in it."""
    removed = []
    ops_ns, ops_hc = client.namespaces, client.hybrid_connections
    if _get_or_none(lambda: ops_hc.get(names.resource_group, names.namespace, names.hybrid_connection)) is not None:
        ops_hc.delete(names.resource_group, names.namespace, names.hybrid_connection)
        removed.append(f"hybrid connection {names.hybrid_connection}")
    if _get_or_none(lambda: ops_ns.get(names.resource_group, names.namespace)) is not None:
        others = list(ops_hc.list_by_namespace(names.resource_group, names.namespace))
        if not others:
            wait(ops_ns.begin_delete(names.resource_group, names.namespace),
                 f"delete the Azure Relay namespace {names.namespace}")
            removed.append(f"namespace {names.namespace}")
    return removed


def hybrid_connection_exists(client: Any, names: RelayNames) -> bool:
    return _get_or_none(lambda: client.hybrid_connections.get(
        names.resource_group, names.namespace, names.hybrid_connection)) is not None
