#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aml_authorized_ip_ranges
short_description: Add the Azure Machine Learning ranges to an AKS cluster's API server authorized IP ranges
version_added: 0.2.0
description:
  - The deployment article's prerequisite for AKS clusters with API server authorized IP ranges - add the Azure
    Machine Learning control plane's addresses for the workspace region B(and) its paired region, or pods cannot be
    deployed.
  - The addresses are the IPv4 prefixes of service tag C(AzureMachineLearning.<Region>), read from the service-tags API
    (C(az network list-service-tags)) or from the "Azure IP Ranges and Service Tags" JSON file given as
    O(service_tags_file). IPv6 prefixes are left out (authorized ranges are IPv4). The paired region is read from the
    subscription's locations (C(metadata.pairedRegion)) unless O(paired_region) is given.
  - Merges them into the current list and never removes an entry; existing entries keep their order (normalised - a
    bare address becomes C(/32), a duplicate appears once) and the missing ranges are appended, sorted. A range
    already inside a broader existing range is not added again. More than 200 ranges (the AKS limit) are refused with
    the count, before anything is written.
  - A region without an C(AzureMachineLearning) tag (the documentation names US-Virginia, US-Arizona and China-East-2)
    fails the task naming the region.
  - Changes the cluster with one PUT - the cluster as read, with only
    C(properties.apiServerAccessProfile.authorizedIPRanges) changed (and its eTag as a precondition when Azure gives
    one) - and waits for the operation within O(wait_timeout). Nothing is written when nothing is missing.
  - Skipped, with the reason in RV(skipped_reason), when the cluster has no authorized ranges (the API server accepts
    every address, so nothing is to be added), when it is private, and when AKS Trusted Access covers Azure Machine
    Learning (O(trusted_access), or a C(trustedAccessRoleBindings) binding with role
    C(Microsoft.MachineLearningServices/workspaces/mlworkload) found on the cluster; AzureCloud only).
  - Azure propagates a change of authorized ranges in about two minutes.
extends_documentation_fragment:
  - azureml.kubernetes.azure
  - azureml.kubernetes.wait
  - azureml.kubernetes.attributes
attributes:
  check_mode:
    support: full
    details: Reads only; reports the ranges that would be added and the list that would result.
  diff_mode:
    support: full
    details: The authorized IP ranges before and after.
options:
  cluster_name:
    description: Name of the AKS cluster.
    type: str
    required: true
  resource_group:
    description: Resource group of the cluster.
    type: str
    required: true
  workspace_region:
    description:
      - Region of the Azure Machine Learning workspace the cluster is attached to (C(eastus), C(East US) or C(EastUS)).
      - Defaults to the cluster's region, with a note in RV(notes).
    type: str
  paired_region:
    description:
      - The workspace region's paired region. Read from the subscription's locations when not given.
    type: str
  service_tags_file:
    description:
      - Path of a downloaded "Azure IP Ranges and Service Tags" JSON file (C(ServiceTags_Public_<date>.json)) to read
        instead of the service-tags API, for example where the API is not reachable or an audited copy is required.
      - The file lists C(values[]), each with C(name) (C(AzureMachineLearning.EastUS)), C(properties.region) and
        C(properties.addressPrefixes).
    type: path
  trusted_access:
    description:
      - V(true) - AML reaches the API server through AKS Trusted Access, so its ranges are not needed and the cluster
        is skipped.
      - V(false) - add the ranges without looking for a Trusted Access binding.
      - Unset - look for a Trusted Access role binding with role
        C(Microsoft.MachineLearningServices/workspaces/mlworkload) on the cluster (for O(workspace_id) when given) and
        skip when one exists.
    type: bool
  workspace_id:
    description:
      - ARM id of the workspace; when given, only a Trusted Access binding whose C(sourceResourceId) is this
        workspace counts.
    type: str
notes:
  - The identity needs to read and write the managed cluster (for example Azure Kubernetes Service Contributor), and to
    read service tags and locations.
seealso:
  - name: Secure access to the API server using authorized IP address ranges
    link: https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges
    description: AKS documentation.
  - name: Azure IP Ranges and Service Tags - Public Cloud
    link: https://www.microsoft.com/download/details.aspx?id=56519
    description: The offline file O(service_tags_file) reads.
author:
  - azureml.kubernetes maintainers (@azureml-kubernetes)
"""

EXAMPLES = r"""
- name: Let Azure Machine Learning reach an AKS API server with authorized ranges
  azureml.kubernetes.aml_authorized_ip_ranges:
    cluster_name: my-aks
    resource_group: my-rg
    workspace_region: eastus

- name: The same from an audited service tags download, with the pair given
  azureml.kubernetes.aml_authorized_ip_ranges:
    cluster_name: my-aks
    resource_group: my-rg
    workspace_region: westeurope
    paired_region: northeurope
    service_tags_file: files/ServiceTags_Public_20261130.json

- name: Skip when Trusted Access binds the workspace
  azureml.kubernetes.aml_authorized_ip_ranges:
    cluster_name: my-aks
    resource_group: my-rg
    workspace_region: eastus
    workspace_id: /subscriptions/0000/resourceGroups/ml/providers/Microsoft.MachineLearningServices/workspaces/ws
"""

RETURN = r"""
added:
  description: The Azure Machine Learning ranges that were (in check mode, would be) added, sorted.
  returned: always
  type: list
  elements: str
  sample: ["20.43.120.0/27", "40.79.130.64/28"]
kept:
  description: The existing entries, normalised (a bare address as C(/32)), each once, in their order.
  returned: always
  type: list
  elements: str
  sample: ["203.0.113.0/24"]
covered:
  description: Azure Machine Learning ranges not added because a broader existing range already holds them.
  returned: always
  type: list
  elements: str
  sample: []
total:
  description: How many authorized ranges the cluster has after the task (or would have, in check mode).
  returned: always
  type: int
  sample: 9
authorized_ip_ranges:
  description: The cluster's authorized IP ranges after the task (in check mode, the list that would be sent).
  returned: always
  type: list
  elements: str
  sample: ["203.0.113.0/24", "20.43.120.0/27", "40.79.130.64/28"]
skipped_reason:
  description: Why nothing was to be added (no authorized ranges, a private cluster, Trusted Access); null otherwise.
  returned: always
  type: str
  sample: "The cluster has no authorized IP ranges: its API server accepts every address, so there is nothing to add."
regions:
  description: The regions whose ranges were merged, the workspace region first, then its pair; empty when skipped.
  returned: always
  type: list
  elements: str
  sample: [eastus, westus]
trusted_access_bindings:
  description: Names of the Trusted Access role bindings with the C(mlworkload) role that made the task skip.
  returned: always
  type: list
  elements: str
  sample: []
notes:
  description: What the task assumed or could not read (the workspace region defaulted, no paired region, ...).
  returned: always
  type: list
  elements: str
  sample: ["workspace_region not given: the cluster's region eastus is used."]
cluster:
  description: The cluster the task read or wrote.
  returned: always
  type: dict
  contains:
    id:
      description: ARM id of the cluster.
      type: str
    name:
      description: Name of the cluster.
      type: str
    location:
      description: Azure region of the cluster.
      type: str
    provisioning_state:
      description: Provisioning state of the cluster.
      type: str
"""

from typing import Any

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.module import AzureModule, wait_argument_spec
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners.authorized_ip_ranges import (
    AuthorizedIpRangesRunner,
)

ARGUMENT_SPEC: dict[str, Any] = dict(
    cluster_name=dict(type="str", required=True),
    resource_group=dict(type="str", required=True),
    workspace_region=dict(type="str"),
    paired_region=dict(type="str"),
    service_tags_file=dict(type="path"),
    trusted_access=dict(type="bool"),
    workspace_id=dict(type="str"),
    **wait_argument_spec(),
)


def main() -> None:
    AuthorizedIpRangesRunner(AzureModule(ARGUMENT_SPEC)).run()


if __name__ == "__main__":
    main()
