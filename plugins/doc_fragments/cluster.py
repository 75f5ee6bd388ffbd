# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The three options that name one AKS or Arc-enabled cluster in Azure (aml.clusters.CLUSTER_ARGUMENT_SPEC)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  cluster_type:
    description: V(managedClusters) for AKS, V(connectedClusters) for Azure Arc-enabled Kubernetes.
    type: str
    required: true
    choices: [managedClusters, connectedClusters]
  cluster_name:
    description: Name of the cluster (in Azure, and in messages).
    type: str
    required: true
  resource_group:
    description: Resource group of the cluster.
    type: str
    required: true
"""
