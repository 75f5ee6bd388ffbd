# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the inventory plugin aml_clusters decides (pure): which listed clusters are hosts, their names, their
groups and their host variables (paged lists are walked by arm/rest.walk_pages).

The host variables are the ones the sandbox's static inventory sets, so a playbook reads the same names from
either inventory; the host name is also the kubeconfig context name (the cluster's name, qualified as
``name.resource_group.subscription[:8]`` where several listed clusters share it).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import CLUSTER_PROVIDERS, cluster_resource_id
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import (
    AML_EXTENSION_TYPE,
    IN_PROGRESS,
)

TYPE_GROUPS: dict[str, str] = {"managedClusters": "aks", "connectedClusters": "arc"}
SUBSCRIPTIONS_API_VERSION = "2022-12-01"
PARENT_GROUP = "aml_clusters"
# aml_extension_state values; each host is in the group aml_<state>.
EXTENSION_STATES = ("installed", "failed", "in_progress", "absent", "unknown")

_ID = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/(?P<ns>[^/]+)/"
                 r"(?P<type>[^/]+)/(?P<name>[^/]+)$", re.IGNORECASE)


def list_path(cluster_type: str, subscription_id: str, resource_group: str | None = None) -> str:
    """The ARM list URL path of one cluster type in a subscription, or in one of its resource groups."""
    provider, resource_type = CLUSTER_PROVIDERS[cluster_type]
    scope = f"/subscriptions/{subscription_id}" + (f"/resourceGroups/{resource_group}" if resource_group else "")
    return f"{scope}/providers/{provider}/{resource_type}"


def extensions_path(cluster_id: str) -> str:
    return f"{cluster_id}/providers/Microsoft.KubernetesConfiguration/extensions"


@dataclass(frozen=True)
class Cluster:
    """One listed cluster, as the inventory needs it (plain data: it goes into the inventory cache)."""

    cluster_type: str
    name: str
    resource_group: str
    subscription_id: str
    location: str
    id: str
    tags: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(cluster_type=self.cluster_type, name=self.name, resource_group=self.resource_group,
                    subscription_id=self.subscription_id, location=self.location, id=self.id, tags=dict(self.tags))


def cluster_from_body(cluster_type: str, body: Mapping[str, Any], subscription_id: str) -> Cluster | None:
    """A Cluster from a list item (its id gives resource group and subscription); None if the id is unreadable.

    The id kept is the CLI's spelling (aml/clusters.cluster_resource_id), not AKS's ``/resourcegroups/``, so
    aml_cluster_id reads as the extension's settings and the modules write it."""
    match = _ID.match(str(body.get("id") or ""))
    if match is None:
        return None
    tags = body.get("tags") or {}
    name, subscription = str(body.get("name") or match["name"]), match["sub"] or subscription_id
    return Cluster(cluster_type=cluster_type, name=name, resource_group=match["rg"], subscription_id=subscription,
                   location=normalise_region(str(body.get("location") or "")),
                   id=cluster_resource_id(subscription, match["rg"], cluster_type, name),
                   tags={str(k): "" if v is None else str(v) for k, v in tags.items()} if isinstance(tags, dict) else {})


def normalise_region(value: str) -> str:
    """``East US`` and ``eastus`` are one region, as ARM's location names write it."""
    return value.replace(" ", "").lower()


@dataclass(frozen=True)
class Filters:
    """Which listed clusters become hosts. Every given filter must match (empty means any)."""

    resource_groups: tuple[str, ...] = ()
    tags: tuple[tuple[str, str | None], ...] = ()
    cluster_types: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    name_patterns: tuple[str, ...] = ()

    @classmethod
    def from_options(cls, resource_groups: Iterable[str] | None = None, tags: Mapping[str, Any] | None = None,
                     cluster_types: Iterable[str] | None = None, regions: Iterable[str] | None = None,
                     name_patterns: Iterable[str] | None = None) -> "Filters":
        return cls(tuple(resource_groups or ()),
                   tuple((str(k), None if v is None else str(v)) for k, v in (tags or {}).items()),
                   tuple(cluster_types or ()), tuple(normalise_region(r) for r in regions or ()),
                   tuple(name_patterns or ()))

    def matches(self, cluster: Cluster) -> bool:
        if self.resource_groups and cluster.resource_group.lower() not in {g.lower() for g in self.resource_groups}:
            return False
        if self.cluster_types and cluster.cluster_type not in self.cluster_types:
            return False
        if self.regions and cluster.location not in self.regions:
            return False
        if self.name_patterns and not any(fnmatch.fnmatchcase(cluster.name.lower(), p.lower())
                                          for p in self.name_patterns):
            return False
        # Tag names are case-insensitive in ARM, values are not; a null value asks only for the tag's presence.
        tags = {k.lower(): v for k, v in cluster.tags.items()}
        return all(k.lower() in tags and (v is None or tags[k.lower()] == v) for k, v in self.tags)


def host_names(clusters: Iterable[Cluster]) -> dict[str, str]:
    """Each cluster's host (and kubeconfig context) name by cluster id: its name, or ``name.rg.sub8`` where
    several of the clusters share the name (as the sandbox names its kubeconfig contexts)."""
    clusters = list(clusters)
    count: dict[str, int] = {}
    for c in clusters:
        count[c.name] = count.get(c.name, 0) + 1
    return {c.id.lower(): c.name if count[c.name] == 1 else f"{c.name}.{c.resource_group}.{c.subscription_id[:8]}"
            for c in clusters}


def extension_summary(extensions: Iterable[Mapping[str, Any]] | None) -> dict[str, Any]:
    """The AML extension (type Microsoft.AzureML.Kubernetes, any name) of one cluster's extension list.

    None as the list means it could not be read (state ``unknown``)."""
    if extensions is None:
        return dict(name=None, state="unknown", version=None)
    aml = sorted((e for e in extensions
                  if str((e.get("properties") or {}).get("extensionType") or "").lower() == AML_EXTENSION_TYPE.lower()),
                 key=lambda e: str(e.get("name") or "").lower())
    if not aml:
        return dict(name=None, state="absent", version=None)
    ext = aml[0]
    props = ext.get("properties") or {}
    provisioning = str(props.get("provisioningState") or "").lower()
    if provisioning == "succeeded":
        state = "installed"
    elif provisioning in IN_PROGRESS:
        state = "in_progress"
    else:  # Failed, Canceled, or none at all
        state = "failed"
    return dict(name=ext.get("name"), state=state, version=props.get("currentVersion") or props.get("version"))


def host_vars(cluster: Cluster, host: str, extension: Mapping[str, Any] | None,
              kubeconfig: str | None = None) -> dict[str, Any]:
    """The host variables of one cluster (the static inventory's names, plus the extension's)."""
    variables: dict[str, Any] = {
        "ansible_connection": "local",
        "aml_cluster_type": cluster.cluster_type,
        "aml_cluster_name": cluster.name,
        "aml_resource_group": cluster.resource_group,
        "aml_subscription_id": cluster.subscription_id,
        "aml_location": cluster.location,
        "aml_kube_context": host,
    }
    if extension is not None:
        variables.update(aml_extension_name=extension.get("name"), aml_extension_state=extension.get("state"),
                         aml_extension_version=extension.get("version"))
    if kubeconfig:
        variables["aml_kubeconfig"] = kubeconfig
    return variables


def groups_of(cluster: Cluster, extension: Mapping[str, Any] | None) -> list[str]:
    """The plugin's own groups for a host: its type, its region, and its extension state."""
    groups = [TYPE_GROUPS[cluster.cluster_type]]
    if cluster.location:
        groups.append("region_" + re.sub(r"[^A-Za-z0-9_]", "_", cluster.location))
    if extension is not None:
        groups.append("aml_" + str(extension.get("state")))
    return groups


def select(clusters: Iterable[Cluster], filters: Filters) -> list[tuple[str, Cluster]]:
    """(host name, cluster) of the clusters that pass the filters, in a stable order (by id). Names are decided
    over every listed cluster, so a filter does not change a host's name."""
    clusters = sorted({c.id.lower(): c for c in clusters}.values(), key=lambda c: c.id.lower())
    names = host_names(clusters)
    return [(names[c.id.lower()], c) for c in clusters if filters.matches(c)]
