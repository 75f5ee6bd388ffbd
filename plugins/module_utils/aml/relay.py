# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Azure Relay an Arc install needs: whether, under which names, and where its outputs go (pure).

The names are the CLI's, so a cluster first installed with the CLI reuses the CLI's Relay namespace
instead of getting a second one. ``services/relay`` does the I/O with these names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import DesiredExtension

RELAY_RULE_NAME = "azureml_rw"


@dataclass(frozen=True)
class RelayNames:
    """The one type for a cluster's Relay resources: namespace, hybrid connection and rule."""

    subscription_id: str
    resource_group: str
    namespace: str
    hybrid_connection: str
    rule: str

    @property
    def hybrid_connection_id(self) -> str:
        return (f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}/providers/"
                f"Microsoft.Relay/namespaces/{self.namespace}/hybridConnections/{self.hybrid_connection}")


def relay_names(cluster_name: str, subscription_id: str, resource_group: str) -> RelayNames:
    """The relay namespace, hybrid connection and rule names the CLI uses (so both find the same relay)."""
    return RelayNames(
        subscription_id,
        resource_group,
        _valid_name("%s-%s-%s-relay" % (cluster_name, subscription_id, resource_group), suffix_len=6, max_len=50),
        cluster_name,
        RELAY_RULE_NAME,
    )


def _valid_name(input_name: str, suffix_len: int, max_len: int) -> str:
    # The CLI's _get_valid_name: keep str.isalnum characters; when too long, cut and add an MD5 suffix of the
    # unfiltered name. MD5 names a resource here, it protects nothing.
    normalised = "".join(filter(str.isalnum, input_name))
    if len(normalised) <= max_len:
        return normalised
    suffix = hashlib.md5(input_name.encode("utf8"), usedforsecurity=False).hexdigest()[:suffix_len]
    return normalised[:max_len - suffix_len] + suffix


def needs_relay(desired: DesiredExtension) -> bool:
    """The CLI's test: relayserver.enabled is not false and no relay connection string is supplied.

    ``compute`` already set relayserver.enabled from the cluster type (true on Arc) unless the user set it,
    so an AKS user who sets relayserver.enabled: true gets a relay, as with the CLI.
    """
    if str(desired.settings.get("relayserver.enabled")).lower() == "false":
        return False
    return not (desired.settings.get("relayServerConnectionString")
                or desired.protected.get("relayServerConnectionString"))


def with_relay(desired: DesiredExtension, connection_string: str, names: RelayNames) -> DesiredExtension:
    """``desired`` plus the relay outputs, placed as the CLI places them (the secret in protected only)."""
    settings = dict(desired.settings)
    protected = dict(desired.protected)
    protected["relayServerConnectionString"] = connection_string
    protected.setdefault("relayserver.relayConnectionString", connection_string)
    settings["relayserver.hybridConnectionResourceID"] = names.hybrid_connection_id
    settings["relayserver.hybridConnectionName"] = names.hybrid_connection
    return replace(desired, settings=settings, protected=protected)
