#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aml_extension_info
short_description: Show one cluster extension, or list the extensions of an AKS or Arc-enabled cluster
version_added: 0.1.0
description:
  - Reads cluster extensions the way C(az k8s-extension show) and C(az k8s-extension list) do, and returns them in the
    same shape as M(azureml.kubernetes.aml_extension).
  - A missing extension, or a subscription that has not registered C(Microsoft.KubernetesConfiguration), gives an
    empty list.
extends_documentation_fragment:
  - azureml.kubernetes.azure
  - azureml.kubernetes.cluster
  - azureml.kubernetes.attributes.INFO_MODULE
options:
  name:
    description: Name of one extension. Without it, every extension on the cluster is listed.
    type: str
  extension_type:
    description:
      - Only list extensions of this type, for example V(Microsoft.AzureML.Kubernetes). Extension types are matched
        case-insensitively, as Azure treats them.
    type: str
seealso:
  - module: azureml.kubernetes.aml_extension
author:
  - azureml.kubernetes maintainers (@azureml-kubernetes)
"""

EXAMPLES = r"""
- name: Show the extension (az k8s-extension show)
  azureml.kubernetes.aml_extension_info:
    cluster_type: managedClusters
    cluster_name: my-aks
    resource_group: my-rg
    name: azureml
  register: aml

- name: Check it installed
  ansible.builtin.assert:
    that: aml.extensions[0].provisioning_state == 'Succeeded'

- name: List the Azure Machine Learning extensions of an Arc-enabled cluster
  azureml.kubernetes.aml_extension_info:
    cluster_type: connectedClusters
    cluster_name: my-arc-cluster
    resource_group: my-rg
    extension_type: Microsoft.AzureML.Kubernetes
"""

RETURN = r"""
extensions:
  description: The extensions found; empty when none matches.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: ARM resource id.
      type: str
    name:
      description: Extension name.
      type: str
    type:
      description: ARM resource type.
      type: str
    extension_type:
      description: Extension type.
      type: str
      sample: Microsoft.AzureML.Kubernetes
    provisioning_state:
      description: Provisioning state.
      type: str
      sample: Succeeded
    version:
      description: The pinned version, if any.
      type: str
    current_version:
      description: The version installed on the cluster.
      type: str
    release_train:
      description: Release train.
      type: str
    auto_upgrade_minor_version:
      description: Whether Azure upgrades minor versions itself.
      type: bool
    release_namespace:
      description: Namespace the extension is released into.
      type: str
    settings:
      description: Configuration settings (protected settings are never returned by Azure).
      type: dict
    statuses:
      description: Status messages the extension's agent reported.
      type: list
      elements: dict
    error_info:
      description: Error details of a failed operation.
      type: dict
    identity:
      description: The extension's managed identity, on Arc-enabled clusters.
      type: dict
"""

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import CLUSTER_ARGUMENT_SPEC
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.module import AzureModule
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners.extension_info import run

ARGUMENT_SPEC = dict(
    **CLUSTER_ARGUMENT_SPEC,
    name=dict(type="str"),
    extension_type=dict(type="str"),
)


def main() -> None:
    run(AzureModule(ARGUMENT_SPEC))


if __name__ == "__main__":
    main()
