#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aml_cluster_info
short_description: A cluster's Azure and Kubernetes facts, and the Azure Machine Learning extension's preflight checks
version_added: 0.2.0
description:
  - Reads an AKS or Azure Arc-enabled cluster from Azure (the cluster, the resource providers, and on AKS its Trusted
    Access role bindings) and from its Kubernetes API (nodes, workloads, CRDs, namespace C(azureml), the privileged
    SCC on OpenShift), and returns its facts with a list of preflight items (RV(checks)), each with C(status) C(pass), C(warn) or
    C(fail), the reason and the documented fix.
  - "Checks: providers registered (C(Microsoft.KubernetesConfiguration); C(Microsoft.ContainerService) on AKS;
    C(Microsoft.Kubernetes) and C(Microsoft.Relay) on Arc); on AKS a service-principal cluster fails (managed identity
    required; node pools must be recreated after converting); disabled local accounts and authorized IP ranges pass
    only with a Trusted Access role binding with role C(Microsoft.MachineLearningServices/workspaces/mlworkload) for
    the workspace (AzureCloud only); a cluster in another subscription than O(workspace_id) fails, with the Arc
    route; pod identity warns; a custom user-assigned kubelet identity warns; on Arc a connectivity status other than
    C(Connected) fails; total allocatable CPU and memory against the components' requests (and for production the
    4 vCPU / 14 GB minimum and the components' limits); node count against C(inferenceRouterHA); OpenShift and the
    service accounts the privileged SCC lacks; an existing Prometheus operator, Volcano or dcgm-exporter and whether
    it can be reused; leftovers that break Helm ownership; namespace C(azureml) still Terminating; the outbound proxy
    settings (reported only)."
  - It writes nothing. What the checks call for - the extension settings to change (RV(settings_adjustments)) and the
    Kubernetes changes (RV(actions)) - is made by role C(azureml.kubernetes.prerequisites).
  - The Kubernetes identity needs C(list) on nodes, deployments, daemonsets, services and customresourcedefinitions
    (all namespaces), and C(get) on clusterroles, namespaces and, on OpenShift, securitycontextconstraints.
extends_documentation_fragment:
  - azureml.kubernetes.azure
  - azureml.kubernetes.cluster
  - kubernetes.core.k8s_auth_options
  - azureml.kubernetes.attributes.INFO_MODULE
options:
  extension_name:
    description: Name the extension is (to be) installed under; part of some service-account and component names.
    type: str
    default: azureml
  workloads:
    description: The workloads to be enabled (C(enableTraining), C(enableInference)) unless O(settings) says otherwise.
    type: list
    elements: str
    choices: [training, inference]
    default: [training, inference]
  sizing:
    description:
      - V(test) sizes on the components' requests; V(production) on their limits, with the 4 vCPU / 14 GB minimum.
    type: str
    choices: [test, production]
    default: production
  settings:
    description:
      - The extension settings to be installed (for example C(inferenceRouterHA), C(installPromOp),
        C(installVolcano)); keys and booleans in any case.
    type: dict
  workspace_id:
    description:
      - ARM id of the Azure Machine Learning workspace the cluster is for. Compared with the cluster's subscription, and
        the Trusted Access role binding must name it. Without it any C(mlworkload) binding counts.
    type: str
  inference_router_ha_below_3_nodes:
    description: Below 3 nodes with C(inferenceRouterHA) on, V(set_false) adjusts it to C(False), V(fail) fails the item.
    type: str
    choices: [set_false, fail]
    default: set_false
  reuse_existing:
    description:
      - Reuse an existing Prometheus operator, Volcano or dcgm-exporter (C(installPromOp), C(installVolcano),
        C(installDcgmExporter) set to C(False), the documented reuse requirements checked); V(false) fails the item.
    type: bool
    default: true
  fix_helm_ownership:
    description: Plan Helm's ownership metadata for leftovers (RV(actions.helm_ownership)); V(false) fails the item.
    type: bool
    default: false
  compute_namespace:
    description: The namespace computes are attached to; on OpenShift its C(default) service account needs the SCC.
    type: str
    default: default
  openshift_extra_service_accounts:
    description: More service accounts for the privileged SCC, as C(<namespace>:<name>) (C({EXT}) is the extension name).
    type: list
    elements: str
    default: []
  authorized_ip_ranges_include_aml:
    description:
      - The AKS authorized IP ranges already hold the AzureMachineLearning ranges of the workspace region and its paired
        region (role C(azureml.kubernetes.authorized_ip_ranges)); without Trusted Access the item then warns, not fails.
    type: bool
    default: false
  registering_providers:
    description:
      - Resource providers this run registers (role C(azureml.kubernetes.prerequisites) in check mode); one not yet
        C(Registered) warns that it would be registered instead of failing.
    type: list
    elements: str
    default: []
author:
  - azureml.kubernetes maintainers (@azureml-kubernetes)
"""

EXAMPLES = r"""
- name: Preflight an AKS cluster for production training and inference
  azureml.kubernetes.aml_cluster_info:
    cluster_type: managedClusters
    cluster_name: my-aks
    resource_group: my-rg
    workspace_id: /subscriptions/0000/resourceGroups/ml/providers/Microsoft.MachineLearningServices/workspaces/ws
    context: my-aks
  register: preflight

- name: Stop on a failed check
  ansible.builtin.assert:
    that: preflight.passed
    fail_msg: "{{ preflight.message }}"
"""

RETURN = r"""
passed:
  description: No item failed.
  returned: success
  type: bool
checks:
  description: The preflight items, in a fixed order (not C(items), which Jinja's dot notation cannot reach).
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: >-
        The check - C(provider/<namespace>), C(identity), C(local_accounts), C(authorized_ip_ranges), C(pod_identity),
        C(kubelet_identity), C(connectivity), C(subscription), C(inference_router_ha), C(capacity), C(openshift),
        C(prometheus_operator), C(volcano), C(dcgm_exporter), C(helm_ownership), C(namespace), C(proxy).
      type: str
    status:
      description: C(pass), C(warn) or C(fail).
      type: str
    reason:
      description: What was found.
      type: str
    fix:
      description: The documented fix (null when the item passed).
      type: str
  sample:
    - {id: identity, status: fail, reason: "The AKS cluster uses a service principal; ...", fix: "Convert it ..."}
failed_checks:
  description: The ids of the failed items (not C(failed), which is the task's own status).
  returned: success
  type: list
  elements: str
warned_checks:
  description: The ids of the items that warn.
  returned: success
  type: list
  elements: str
settings_adjustments:
  description: Extension settings the checks call for (strings as the settings are sent).
  returned: success
  type: dict
  sample: {inferenceRouterHA: "False", installPromOp: "False"}
actions:
  description: The Kubernetes changes role C(azureml.kubernetes.prerequisites) makes.
  returned: success
  type: dict
  contains:
    scc:
      description: >-
        On OpenShift when accounts are missing, the privileged SCC's C(users) after the grant (every entry kept) and the
        ones C(added); else null.
      type: dict
    objects:
      description: Objects to create, such as ServiceMonitor C(prom-kubelet) in C(azureml) for a reused Prometheus operator.
      type: list
      elements: dict
    helm_ownership:
      description: With O(fix_helm_ownership), per leftover its C(api_version), C(kind), C(name), C(labels), C(annotations).
      type: list
      elements: dict
    dcgm_reuse:
      description: An existing dcgm-exporter is reused; its Service and ServiceMonitor come from role C(azureml.kubernetes.gpu).
      type: bool
capacity:
  description: Schedulable C(nodes), their total allocatable C(cpu_milli) and C(memory_mi).
  returned: success
  type: dict
openshift:
  description: The cluster is OpenShift (Arc distribution C(openshift), or the C(security.openshift.io) API served).
  returned: success
  type: bool
proxy:
  description: The outbound proxy settings found (passwords masked) and their C(source).
  returned: success
  type: dict
message:
  description: One line - counts, and every failed item's reason.
  returned: success
  type: str
cluster:
  description:
    - The cluster's facts - C(cluster_type), C(id), C(name), C(location), C(node_count), C(distribution),
      C(kubernetes_version), C(provisioning_state), C(subscription_id), C(providers), C(identity_type),
      C(kubelet_identity), C(local_accounts_disabled), C(authorized_ip_ranges) (count), C(pod_identity),
      C(connectivity_status), C(trusted_access_bindings) (null when not read), and C(kubernetes) (C(nodes),
      C(allocatable_cpu), C(allocatable_memory), C(openshift), C(namespace_phase)).
  returned: success
  type: dict
"""

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import CLUSTER_ARGUMENT_SPEC
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.preflight import HA_CHOICES, SIZINGS
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.module import AzureModule
from ansible_collections.azureml.kubernetes.plugins.module_utils.kube import auth_argument_spec
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners.cluster_info import run

ARGUMENT_SPEC = dict(
    **CLUSTER_ARGUMENT_SPEC,
    extension_name=dict(type="str", default="azureml"),
    workloads=dict(type="list", elements="str", choices=["training", "inference"], default=["training", "inference"]),
    sizing=dict(type="str", choices=list(SIZINGS), default="production"),
    settings=dict(type="dict"),
    workspace_id=dict(type="str"),
    inference_router_ha_below_3_nodes=dict(type="str", choices=list(HA_CHOICES), default="set_false"),
    reuse_existing=dict(type="bool", default=True),
    fix_helm_ownership=dict(type="bool", default=False),
    compute_namespace=dict(type="str", default="default"),
    openshift_extra_service_accounts=dict(type="list", elements="str", default=[]),
    authorized_ip_ranges_include_aml=dict(type="bool", default=False),
    registering_providers=dict(type="list", elements="str", default=[]),
    **auth_argument_spec(),
)


def main() -> None:
    run(AzureModule(ARGUMENT_SPEC))


if __name__ == "__main__":
    main()
