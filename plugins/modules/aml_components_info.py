#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aml_components_info
short_description: Check the Azure Machine Learning extension's components in a cluster
version_added: 0.2.0
description:
  - Reads the extension's configuration settings from Azure (or takes them from O(settings)), works out which
    Deployments, DaemonSets and StatefulSets the extension creates in its namespace for them (the deployment
    article's resource table, for example C(gateway), C(relayserver) on Arc, C(aml-operator) and Volcano for training,
    C(azureml-fe-v2) and the identity components for inference), and reads the cluster to report which are present and
    ready, with the readiness predicates of M(kubernetes.core.k8s_info).
  - Also reports the pods of the namespace that are not Running, with their reason (for example C(Unschedulable)
    and the scheduler's message, C(ImagePullBackOff), C(CrashLoopBackOff))
    and their last events, and the verdict of the extension's health check (ConfigMap C(arcml-healthcheck)), with
    the documented cause and fix of any health-check code it names.
  - This is the documentation's verification step (C(provisioningState) C(Succeeded), then every pod in C(azureml)
    Running) as data. With O(wait=true) it polls until that holds, the extension ends C(Failed), or O(wait_timeout).
  - It only reads, from Azure and from Kubernetes. The Kubernetes identity needs C(get) and C(list) on
    C(deployments), C(daemonsets) and C(statefulsets) (group C(apps)), and on C(pods), C(events) and C(configmaps),
    in the namespace.
extends_documentation_fragment:
  - azureml.kubernetes.azure
  - kubernetes.core.k8s_auth_options
  - azureml.kubernetes.attributes.INFO_MODULE
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
    description: Resource group of the cluster. Required unless O(settings) is given.
    type: str
  name:
    description: Name of the extension (C(az k8s-extension create --name)); part of some component names.
    type: str
    required: true
  settings:
    description:
      - The extension's configuration settings, for a cluster whose settings were read elsewhere. When given, Azure is
        not read and RV(provisioning_state) is null.
      - Keys and booleans are read in any case, as M(azureml.kubernetes.aml_extension) accepts them.
    type: dict
  namespace:
    description: Namespace the extension is released into.
    type: str
    default: azureml
  wait:
    description:
      - Poll until the extension is C(Succeeded) and every expected component is ready with no pod left not Running,
        or until it ends C(Failed), or O(wait_timeout) passes. The task does not fail either way; read RV(passed).
      - While the extension's operation is still running (C(Pending), C(Creating), C(Updating)) the cluster is not read.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait with O(wait=true).
    type: int
    default: 1800
  wait_sleep:
    description: Seconds between polls with O(wait=true).
    type: int
    default: 10
  events:
    description: How many of the last events to return for each pod not Running and each component not ready.
    type: int
    default: 5
notes:
  - Kubernetes access goes through the client of C(kubernetes.core), so the usual O(kubeconfig), O(context) and
    E(K8S_AUTH_*) variables apply. A context that is not in the kubeconfig, an API server that does not answer,
    refused credentials or a forbidden read fail the task with one message naming the cluster and the fix.
requirements:
  - kubernetes >= 24.2.0 (Python client)
seealso:
  - module: azureml.kubernetes.aml_extension
  - module: azureml.kubernetes.aml_extension_info
  - module: kubernetes.core.k8s_info
author:
  - azureml.kubernetes maintainers (@azureml-kubernetes)
"""

EXAMPLES = r"""
- name: Verify an install, waiting up to 30 minutes
  azureml.kubernetes.aml_components_info:
    cluster_type: managedClusters
    cluster_name: my-aks
    resource_group: my-rg
    name: azureml
    context: my-aks
    wait: true
  register: aml

- name: Fail with what is wrong
  ansible.builtin.assert:
    that: aml.passed
    fail_msg: "{{ aml.message }}"

- name: Check a cluster against settings read elsewhere
  azureml.kubernetes.aml_components_info:
    cluster_type: connectedClusters
    cluster_name: my-arc
    name: azureml
    kubeconfig: ~/.kube/my-arc.yaml
    settings:
      enableTraining: "True"
      installVolcano: "False"
"""

RETURN = r"""
passed:
  description:
    - The documentation's verification holds - C(provisioningState) is C(Succeeded) (or unknown, with O(settings)), every
      expected component is ready, no pod in the namespace is not Running, and the health check did not fail.
  returned: always
  type: bool
ready:
  description: Every expected component is present and ready.
  returned: always
  type: bool
message:
  description: One paragraph naming each component not ready and why, each pod not Running and why, and the health check.
  returned: always
  type: str
  sample: "17 of 18 components ready. not ready: azureml-fe-v2 (Deployment): scaled to 0 replicas (expected 3)."
provisioning_state:
  description: The extension's provisioningState in Azure; null when O(settings) was given.
  returned: always
  type: str
  sample: Succeeded
cluster:
  description: The cluster checked.
  returned: always
  type: dict
  contains:
    name:
      description: O(cluster_name).
      type: str
    type:
      description: O(cluster_type).
      type: str
    resource_group:
      description: O(resource_group).
      type: str
extension:
  description: The extension checked.
  returned: always
  type: dict
  contains:
    name:
      description: O(name).
      type: str
    provisioning_state:
      description: Same as RV(provisioning_state).
      type: str
    extension_type:
      description: The extension type Azure reports; null with O(settings).
      type: str
    settings_from:
      description: V(azure) when the settings were read from Azure, V(option) when given in O(settings).
      type: str
    error:
      description: For a C(Failed) extension, what Azure reported (errorInfo and statuses); else null.
      type: str
expected:
  description: The components these settings need, from the collection's components table.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Object name, the extension name substituted.
      type: str
      sample: azureml-kube-state-metrics
    kind:
      description: V(Deployment), V(DaemonSet) or V(StatefulSet).
      type: str
    namespace:
      description: Namespace of the object.
      type: str
    workloads:
      description: The enabled workloads (V(training), V(inference)) that need it.
      type: list
      elements: str
    replicas:
      description: Replicas it runs (C(azureml-fe-v2) 3 with C(inferenceRouterHA), else 1); null for a DaemonSet (one per node).
      type: int
    description:
      description: What it does, in the documentation's words.
      type: str
    resources:
      description: Requests and limits of one pod as documented (C(cpu_request), C(cpu_limit), C(memory_request),
        C(memory_limit)); null when the documentation gives none.
      type: dict
components:
  description: Each expected component as found in the cluster.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Object name.
      type: str
    kind:
      description: Object kind.
      type: str
    workloads:
      description: The enabled workloads that need it.
      type: list
      elements: str
    replicas:
      description: Replicas expected; null for a DaemonSet.
      type: int
    present:
      description: The object exists.
      type: bool
    ready:
      description: Ready by the kubernetes.core readiness predicate of its kind; a Deployment or StatefulSet scaled to
        zero is not ready.
      type: bool
    desired:
      description: Replicas (or, for a DaemonSet, pods scheduled) the object asks for.
      type: int
    ready_replicas:
      description: Replicas (or pods) ready.
      type: int
    reason:
      description: Why it is not ready; null when ready.
      type: str
      sample: "0/1 replicas ready; pod gateway-5d8f-x2x Pending, Unschedulable: 0/3 nodes are available: 3 Insufficient cpu."
    pods:
      description: Names of its pods.
      type: list
      elements: str
    events:
      description: The last events about it, its ReplicaSets and its pods, when not ready (same shape as in RV(pods_not_running)).
      type: list
      elements: dict
pods_not_running:
  description: Pods of the namespace not Running and ready (a pod that Succeeded is fine).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Pod name.
      type: str
    phase:
      description: Pod phase.
      type: str
      sample: Pending
    reason:
      description: The scheduler's, a container's or the pod's reason.
      type: str
      sample: Unschedulable
    message:
      description: The message that goes with the reason.
      type: str
      sample: "0/3 nodes are available: 3 Insufficient cpu."
    node:
      description: Node the pod is bound to, if any.
      type: str
    component:
      description: The expected component the pod belongs to; null for another pod.
      type: str
    events:
      description: The pod's last events, oldest first.
      type: list
      elements: dict
      contains:
        type:
          description: V(Normal) or V(Warning).
          type: str
        reason:
          description: Event reason.
          type: str
        message:
          description: Event message.
          type: str
        object:
          description: C(<kind>/<name>) of the object the event is about.
          type: str
        count:
          description: How often it happened.
          type: int
        last_seen:
          description: When it last happened.
          type: str
healthcheck:
  description: The verdict of the extension's health check, ConfigMap C(arcml-healthcheck) in the namespace.
  returned: always
  type: dict
  contains:
    present:
      description: The ConfigMap exists.
      type: bool
    passed:
      description:
        - V(false) when the latest hook entry (by its time) says failed, V(true) when it says passed, else null.
        - Entries not in the extension's JSON form count as failed when they name a health-check code or say failed.
      type: bool
    phase:
      description: The hook entry that decided (V(pre-install), V(pre-upgrade), V(pre-rollback), V(pre-delete)).
      type: str
    codes:
      description: Codes of a failed verdict, such as C(E40002) or C(InstallationFailed).
      type: list
      elements: str
    hints:
      description: The documented cause and fix of each code.
      type: list
      elements: str
    summary:
      description: V(passed), V(failed) (with the phase, codes and message) or V(no verdict).
      type: str
    data:
      description: The ConfigMap's entries (long values cut).
      type: dict
waited:
  description: Seconds spent waiting.
  returned: always
  type: int
timed_out:
  description: O(wait=true) and RV(passed) did not hold within O(wait_timeout).
  returned: always
  type: bool
"""

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import CLUSTER_TYPES
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.module import AzureModule
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.waiter import DEFAULT_WAIT_TIMEOUT
from ansible_collections.azureml.kubernetes.plugins.module_utils.kube import auth_argument_spec
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners.components import run

ARGUMENT_SPEC = dict(
    cluster_type=dict(type="str", required=True, choices=CLUSTER_TYPES),
    cluster_name=dict(type="str", required=True),
    resource_group=dict(type="str"),
    name=dict(type="str", required=True),
    settings=dict(type="dict"),
    namespace=dict(type="str", default="azureml"),
    wait=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=DEFAULT_WAIT_TIMEOUT),
    wait_sleep=dict(type="int", default=10),
    events=dict(type="int", default=5),
    **auth_argument_spec(),
)


def main() -> None:
    run(AzureModule(ARGUMENT_SPEC))


if __name__ == "__main__":
    main()
