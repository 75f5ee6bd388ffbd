# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory plugin aml_clusters: AKS and Arc-enabled clusters as hosts, with their AML extension's state."""

from __future__ import annotations

DOCUMENTATION = r"""
name: aml_clusters
short_description: AKS and Azure Arc-enabled Kubernetes clusters as hosts, grouped by type, region and AML extension state
version_added: 0.1.0
description:
  - Lists the AKS (C(Microsoft.ContainerService/managedClusters)) and Azure Arc-enabled Kubernetes
    (C(Microsoft.Kubernetes/connectedClusters)) clusters of one or more subscriptions, following every C(nextLink) page.
  - Each cluster becomes a host named as its kubeconfig context, that is the cluster's name, or C(name.resource_group.subscription8)
    (the first 8 characters of the subscription ID) where several listed clusters share the name.
  - Each host gets the variables the collection's playbooks read, the same as the sandbox's static inventory, namely
    C(ansible_connection=local), C(aml_cluster_type), C(aml_cluster_name), C(aml_resource_group), C(aml_subscription_id),
    C(aml_location) and C(aml_kube_context); with O(read_extensions), C(aml_extension_name), C(aml_extension_state) and
    C(aml_extension_version); C(aml_kubeconfig) with O(kubeconfig). The group C(aml_clusters) sets
    C(ansible_python_interpreter) to C(ansible_playbook_python) (templated), since the modules run on the controller.
  - "Groups: C(aml_clusters), with children C(aks) and C(arc); C(region_<location>); and, with O(read_extensions),
    C(aml_installed), C(aml_failed), C(aml_in_progress), C(aml_absent) or C(aml_unknown) (the extension list could not be
    read; a warning says why)."
  - The extension state is read from each cluster's extension list (the extension of type C(Microsoft.AzureML.Kubernetes),
    whatever its name), one request per cluster, sent concurrently by O(extension_workers) threads.
  - O(compose), O(groups) and O(keyed_groups) see the host variables plus C(tags) (the cluster's Azure tags) and
    C(aml_cluster_id).
  - The inventory source is a YAML file whose name ends in C(aml_clusters.yml) or C(aml_clusters.yaml).
author:
  - azureml.kubernetes maintainers (@azureml-kubernetes)
options:
  plugin:
    description: The name of this plugin; it makes the file an inventory source of this plugin.
    type: str
    required: true
    choices: [azureml.kubernetes.aml_clusters]
  subscriptions:
    description:
      - The subscriptions whose clusters are listed.
      - When empty, the credential's subscription (O(subscription_id), E(AZURE_SUBSCRIPTION_ID), or the Azure CLI's default);
        when it has none, every subscription the identity can list.
    type: list
    elements: str
    default: []
  resource_groups:
    description:
      - Only clusters in these resource groups (case-insensitive). Each is listed through its own resource group scoped
        request.
    type: list
    elements: str
    default: []
  tags:
    description:
      - Only clusters carrying every one of these Azure tags with these values. A null value asks only for the tag.
      - Tag names match case-insensitively, values exactly.
    type: dict
    default: {}
  cluster_types:
    description: Only clusters of these types.
    type: list
    elements: str
    choices: [managedClusters, connectedClusters]
    default: [managedClusters, connectedClusters]
  regions:
    description: Only clusters in these Azure regions (C(eastus); C(East US) is the same region).
    type: list
    elements: str
    default: []
  name_patterns:
    description: Only clusters whose name matches one of these shell-style patterns (C(prod-*), case-insensitive).
    type: list
    elements: str
    default: []
  read_extensions:
    description:
      - Read each cluster's AML extension, for the C(aml_extension_*) variables and the extension state groups.
      - V(false) sends only the cluster list requests.
    type: bool
    default: true
  extension_workers:
    description: How many extension lists are read at once.
    type: int
    default: 8
  kubeconfig:
    description:
      - The kubeconfig file whose contexts are named as the hosts; set as C(aml_kubeconfig) on every host.
    type: path
    env:
      - name: K8S_AUTH_KUBECONFIG
extends_documentation_fragment:
  - azureml.kubernetes.azure.PLUGIN
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
notes:
  - Listing needs the C(Reader) role (or C(Microsoft.ContainerService/managedClusters/read),
    C(Microsoft.Kubernetes/connectedClusters/read) and C(Microsoft.KubernetesConfiguration/extensions/read)) on the
    subscriptions or resource groups.
  - With O(cache), a second run within O(cache_timeout) sends no request to Azure; nothing secret is cached.
"""

EXAMPLES = r"""
# fleet.aml_clusters.yml: every AKS and Arc cluster of two subscriptions, production ones only, grouped by team.
plugin: azureml.kubernetes.aml_clusters
subscriptions:
  - 00000000-0000-0000-0000-000000000001
  - 00000000-0000-0000-0000-000000000002
tags:
  environment: production
keyed_groups:
  - key: tags.team | default('none')
    prefix: team
compose:
  aml_extension_config_scenario: "'production' if aml_cluster_type == 'managedClusters' else 'arc-production'"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible/aml_clusters
cache_timeout: 900

---
# sandbox.aml_clusters.yml: the local sandbox (set -a; . .sandbox/env; set +a gives the cloud, the managed
# identity, the subscription and the kubeconfig through AZURE_*, IDENTITY_* and K8S_AUTH_KUBECONFIG).
plugin: azureml.kubernetes.aml_clusters

---
# Only the Arc clusters of one resource group in West Europe whose names start with edge-, without reading the
# extensions; a service principal from the environment (AZURE_CLIENT_ID, AZURE_SECRET, AZURE_TENANT).
plugin: azureml.kubernetes.aml_clusters
auth_source: env
resource_groups: [rg-edge]
cluster_types: [connectedClusters]
regions: [westeurope]
name_patterns: ["edge-*"]
read_extensions: false

# Then, for example, install where the extension is absent: ansible-playbook -i fleet.aml_clusters.yml site.yml --limit aml_absent
"""

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.process import get_bin_path
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

try:  # ansible-core 2.19+: a value set by a plugin is not a template unless marked as one
    from ansible.template import trust_as_template
except ImportError:  # older ansible-core templates plugin values as they are
    def trust_as_template(value: str) -> str:
        return value

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import inventory as inv
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import (
    CLUSTER_API_VERSIONS,
    EXTENSIONS_API_VERSION,
)
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import CollectionError
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.rest import PagingError, walk_pages
from ansible_collections.azureml.kubernetes.plugins.plugin_utils.arm import AUTH_OPTIONS, ArmSession

display = Display()


def _run(args: list[str]) -> tuple[int, str, str]:
    """Run a command (the Azure CLI, for its default subscription) the way run_command would."""
    import subprocess

    try:
        args = [get_bin_path(args[0])] + args[1:]
    except ValueError:
        return 127, "", f"{args[0]} not found"
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, done.stdout, done.stderr


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "azureml.kubernetes.aml_clusters"

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(("aml_clusters.yml", "aml_clusters.yaml"))

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache")
        listing = None
        if use_cache and cache:
            try:
                listing = self._cache[cache_key]
            except KeyError:
                listing = None
        if listing is None:
            try:
                listing = self._fetch()
            except CollectionError as exc:
                raise AnsibleParserError(f"{self.NAME} ({path}): {exc.message}") from None
            if use_cache:
                self._cache[cache_key] = listing
        self._populate(listing)

    # --- reading Azure
    def _fetch(self) -> dict[str, Any]:
        """Every listed cluster and, when asked, its AML extension: plain data, as the cache keeps it."""
        workers = self.get_option("extension_workers")
        if workers < 1:
            raise CollectionError(f"extension_workers must be 1 or more (got {workers}).")
        session = ArmSession({k: self.get_option(k) for k in AUTH_OPTIONS}, os.environ, _run, pool_size=workers)
        clusters: list[inv.Cluster] = []
        for subscription in self._subscriptions(session):
            for cluster_type in self.get_option("cluster_types"):
                for group in self.get_option("resource_groups") or [None]:
                    clusters += self._list(session, cluster_type, subscription, group)
        extensions: dict[str, Any] = {}
        if self.get_option("read_extensions") and clusters:
            with ThreadPoolExecutor(max_workers=min(workers, len(clusters))) as pool:
                for cluster, summary in zip(clusters, pool.map(lambda c: self._extension(session, c), clusters)):
                    extensions[cluster.id.lower()] = summary
        return {"clusters": [c.as_dict() for c in clusters], "extensions": extensions}

    def _subscriptions(self, session: ArmSession) -> list[str]:
        given = self.get_option("subscriptions")
        if given:
            return list(dict.fromkeys(given))
        default = session.default_subscription()
        if default:
            return [default]
        listed = [s.get("subscriptionId") for s in walk_pages(
            session.reader.page_getter(inv.SUBSCRIPTIONS_API_VERSION, "list the subscriptions the identity can see"),
            "/subscriptions") if s.get("subscriptionId")]
        if not listed:
            raise CollectionError("The identity can list no subscription. Set the subscriptions option (or "
                                  "subscription_id / AZURE_SUBSCRIPTION_ID) to the subscriptions holding the clusters.")
        return listed

    def _list(self, session: ArmSession, cluster_type: str, subscription: str, group: str | None) -> list[inv.Cluster]:
        where = f"subscription {subscription}" + (f", resource group {group}" if group else "")
        get_page = session.reader.page_getter(CLUSTER_API_VERSIONS[cluster_type], f"list the {cluster_type} of {where}")
        try:
            bodies = list(walk_pages(get_page, inv.list_path(cluster_type, subscription, group)))
        except PagingError as exc:
            raise CollectionError(f"Azure's list of the {cluster_type} of {where} {exc}") from None
        found = [inv.cluster_from_body(cluster_type, b, subscription) for b in bodies]
        return [c for c in found if c is not None]

    def _extension(self, session: ArmSession, cluster: inv.Cluster) -> dict[str, Any]:
        get_page = session.reader.page_getter(EXTENSIONS_API_VERSION, f"list the extensions of {cluster.id}")
        try:
            return inv.extension_summary(list(walk_pages(get_page, inv.extensions_path(cluster.id))))
        except (CollectionError, PagingError) as exc:
            display.warning(f"{self.NAME}: the AML extension of {cluster.id} is unknown (group aml_unknown): "
                            f"{getattr(exc, 'message', exc)}")
            return inv.extension_summary(None)

    # --- the inventory
    def _populate(self, listing: dict[str, Any]) -> None:
        filters = inv.Filters.from_options(
            resource_groups=self.get_option("resource_groups"), tags=self.get_option("tags"),
            cluster_types=self.get_option("cluster_types"), regions=self.get_option("regions"),
            name_patterns=self.get_option("name_patterns"))
        clusters = [inv.Cluster(**c) for c in listing.get("clusters") or []]
        extensions = listing.get("extensions") or {}
        read_extensions = self.get_option("read_extensions")
        kubeconfig = self.get_option("kubeconfig")
        strict = self.get_option("strict")
        parent = self.inventory.add_group(inv.PARENT_GROUP)
        self.inventory.set_variable(parent, "ansible_python_interpreter",
                                    trust_as_template("{{ ansible_playbook_python }}"))
        for name in inv.TYPE_GROUPS.values():
            self.inventory.add_child(parent, self.inventory.add_group(name))
        for host, cluster in inv.select(clusters, filters):
            extension = extensions.get(cluster.id.lower()) if read_extensions else None
            if read_extensions and extension is None:  # a cache written with read_extensions: false
                extension = inv.extension_summary(None)
            self.inventory.add_host(host)
            variables = inv.host_vars(cluster, host, extension, kubeconfig)
            for key, value in variables.items():
                self.inventory.set_variable(host, key, value)
            for group in inv.groups_of(cluster, extension):
                self.inventory.add_group(group)
                self.inventory.add_host(host, group=group)
            context = dict(variables, tags=dict(cluster.tags), aml_cluster_id=cluster.id)
            self._set_composite_vars(self.get_option("compose"), context, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), context, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), context, host, strict=strict)
