#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aml_gpu_info
short_description: GPU nodes and what the Azure Machine Learning extension needs of them
version_added: 0.2.0
description:
  - Reads a cluster's nodes and DaemonSets and reports the nodes that advertise allocatable C(nvidia.com/gpu), the GPU
    pool (those nodes, or the nodes O(node_selector) picks), and what the chosen GPU settings need. It writes nothing;
    role C(azureml.kubernetes.gpu) creates what it lists with M(kubernetes.core.k8s) and M(kubernetes.core.k8s_taint).
  - With O(install_device_plugin) (the extension's C(installNvidiaDevicePlugin)), checks per pool node what the API shows
    of the NVIDIA device plugin's prerequisites - the container runtime and its version
    (C(status.nodeInfo.containerRuntimeVersion)) and the kubelet version (1.10 or newer) - and explains what it cannot
    show - the driver, nvidia-container-toolkit >= 1.7.0 and nvidia-container-runtime as the default runtime, which
    live in the node's packages and runtime configuration. Warns when a device plugin already runs (another
    DaemonSet, or nodes that already advertise GPUs).
  - With O(reuse_dcgm_exporter) (C(installDcgmExporter=False)), finds the existing dcgm-exporter DaemonSet (label
    C(app.kubernetes.io/name=dcgm-exporter), outside O(namespace)) and returns the Service C(dcgm-exporter-service) (in
    the exporter's namespace, port C(metrics) 9400) and ServiceMonitor C(dcgm-exporter-monitor) (in O(namespace), label
    C(release=<extension_name>)) the documentation requires. Fails when there is none, several, or when the cluster does
    not serve the Prometheus operator's C(ServiceMonitor) CRD.
  - With O(taint_nodes), checks O(taints) (only the keys AML pods tolerate - C(ml.azure.com/amlarc),
    C(ml.azure.com/amlarc-system), C(ml.azure.com/amlarc-workload), C(ml.azure.com/resource-group),
    C(ml.azure.com/workspace), C(ml.azure.com/compute)) and returns, per pool node, the taints and O(labels) it lacks.
    Warns when the reused dcgm-exporter does not tolerate them.
  - With O(expect_allocatable) (after the install), waits within O(wait_timeout) until every pool node advertises
    allocatable C(nvidia.com/gpu), and fails naming the nodes that do not.
  - The Kubernetes identity needs C(list) on C(nodes) and C(daemonsets) (all namespaces) and C(get) on
    C(customresourcedefinitions).
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - azureml.kubernetes.attributes.INFO_MODULE
options:
  cluster_name:
    description: Name of the cluster, for messages.
    type: str
    required: true
  extension_name:
    description: Name of the extension; the ServiceMonitor's C(release) label and the Service's C(app.kubernetes.io/instance).
    type: str
    default: azureml
  namespace:
    description: Namespace the extension is released into, where the ServiceMonitor goes.
    type: str
    default: azureml
  node_selector:
    description:
      - Labels that pick the GPU pool (for example C(agentpool=gpu)). Empty - the nodes that advertise allocatable
        C(nvidia.com/gpu), which before a device plugin runs is none.
    type: dict
    default: {}
  install_device_plugin:
    description: The extension will install the NVIDIA device plugin (C(installNvidiaDevicePlugin)); check its prerequisites.
    type: bool
    default: false
  reuse_dcgm_exporter:
    description: Reuse the cluster's dcgm-exporter (C(installDcgmExporter=False)); find it and return the objects reuse needs.
    type: bool
    default: false
  dcgm_exporter_namespace:
    description: Namespace of the dcgm-exporter to reuse, when there is more than one.
    type: str
  taint_nodes:
    description: Return the AML taints and labels each pool node lacks.
    type: bool
    default: false
  taints:
    description:
      - The taints of the pool with O(taint_nodes). Empty - C(ml.azure.com/amlarc=true:NoSchedule) and
        C(ml.azure.com/amlarc-workload=true:NoSchedule), a pool dedicated to ML workloads.
    type: list
    elements: dict
    default: []
  labels:
    description: Labels for the pool nodes with O(taint_nodes), for example for an instance type's nodeSelector.
    type: dict
    default: {}
  expect_allocatable:
    description: Wait until every pool node advertises allocatable C(nvidia.com/gpu); fail if one does not within O(wait_timeout).
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait with O(expect_allocatable).
    type: int
    default: 300
  wait_sleep:
    description: Seconds between reads with O(expect_allocatable).
    type: int
    default: 5
notes:
  - Kubernetes access goes through the client of C(kubernetes.core), so the usual O(kubeconfig), O(context) and
    E(K8S_AUTH_*) variables apply.
  - That the reused exporter exposes C(DCGM_FI_DEV_GPU_UTIL), C(DCGM_FI_DEV_FB_FREE) and C(DCGM_FI_DEV_FB_USED) is not
    visible from the API; check with C(kubectl port-forward) to port 9400 and C(curl localhost:9400/metrics).
requirements:
  - kubernetes >= 24.2.0 (Python client)
seealso:
  - module: azureml.kubernetes.aml_extension
  - module: kubernetes.core.k8s_taint
author:
  - azureml.kubernetes maintainers (@azureml-kubernetes)
"""

EXAMPLES = r"""
- name: GPU nodes, and what reusing the cluster's dcgm-exporter needs
  azureml.kubernetes.aml_gpu_info:
    cluster_name: my-aks
    context: my-aks
    node_selector:
      agentpool: gpu
    install_device_plugin: true
    reuse_dcgm_exporter: true
  register: gpus

- name: After the install, the pool's GPUs are allocatable
  azureml.kubernetes.aml_gpu_info:
    cluster_name: my-aks
    context: my-aks
    node_selector:
      agentpool: gpu
    expect_allocatable: true
"""

RETURN = r"""
nodes:
  description: The nodes that advertise allocatable C(nvidia.com/gpu).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Node name.
      type: str
    pool:
      description: Its node pool (label C(kubernetes.azure.com/agentpool) or C(agentpool)).
      type: str
    gpu_allocatable:
      description: Allocatable C(nvidia.com/gpu).
      type: int
    gpu_capacity:
      description: Capacity of C(nvidia.com/gpu).
      type: int
    container_runtime:
      description: C(status.nodeInfo.containerRuntimeVersion), for example C(containerd://1.7.27-1).
      type: str
    taints:
      description: The node's taints.
      type: list
      elements: dict
pool:
  description: Names of the GPU pool's nodes (O(node_selector), else RV(nodes)).
  returned: always
  type: list
  elements: str
pool_from:
  description: V(node_selector) or V(allocatable).
  returned: always
  type: str
total_gpus:
  description: Allocatable GPUs on RV(nodes).
  returned: always
  type: int
device_plugin:
  description: The NVIDIA device plugin's prerequisites, with O(install_device_plugin).
  returned: always
  type: dict
  contains:
    requested:
      description: O(install_device_plugin).
      type: bool
    checks:
      description: Per pool node - C(node), C(container_runtime), C(runtime), C(runtime_version), C(kubelet_version),
        C(verdict) (V(pass), V(warn), V(fail)) and C(reason).
      type: list
      elements: dict
    not_visible:
      description: The prerequisites the API cannot show, and how to check them on a node.
      type: list
      elements: str
    other_plugins:
      description: NVIDIA device plugin DaemonSets outside O(namespace) (C(namespace), C(name)).
      type: list
      elements: dict
dcgm:
  description: dcgm-exporter reuse, with O(reuse_dcgm_exporter).
  returned: always
  type: dict
  contains:
    requested:
      description: O(reuse_dcgm_exporter).
      type: bool
    exporter:
      description: The exporter reused (C(namespace), C(name), C(instance)); null when none.
      type: dict
    candidates:
      description: Every dcgm-exporter DaemonSet found outside O(namespace).
      type: list
      elements: dict
    servicemonitor_crd:
      description: The cluster serves an established C(servicemonitors.monitoring.coreos.com) CRD.
      type: bool
    objects:
      description: The Service C(dcgm-exporter-service) and ServiceMonitor C(dcgm-exporter-monitor) to create, as manifests.
      type: list
      elements: dict
    refs:
      description: C(kind), C(namespace) and C(name) of each of RV(dcgm.objects).
      type: list
      elements: dict
    required_metrics:
      description: The metrics the exporter must expose (not visible from the API).
      type: list
      elements: str
taint:
  description: The AML taints and labels of the pool, with O(taint_nodes).
  returned: always
  type: dict
  contains:
    requested:
      description: O(taint_nodes).
      type: bool
    taints:
      description: The taints checked (C(key), C(value), C(effect)).
      type: list
      elements: dict
    labels:
      description: The labels.
      type: dict
    changes:
      description: Per pool node that lacks some - C(name), C(add_taints), C(set_labels).
      type: list
      elements: dict
allocatable:
  description: Whether every pool node advertises allocatable GPUs.
  returned: always
  type: dict
  contains:
    expected:
      description: O(expect_allocatable).
      type: bool
    ok:
      description: The pool is not empty and each of its nodes has at least one allocatable GPU.
      type: bool
    nodes_without:
      description: Pool nodes without allocatable GPUs.
      type: list
      elements: str
    total:
      description: Allocatable GPUs on the pool.
      type: int
extension_settings:
  description: The extension settings these choices mean (C(installNvidiaDevicePlugin), and C(installDcgmExporter=False) when reusing).
  returned: always
  type: dict
  sample: {installNvidiaDevicePlugin: "True", installDcgmExporter: "False"}
warnings:
  description: What is worth knowing but does not stop the role (also emitted as warnings).
  returned: always
  type: list
  elements: str
problems:
  description: What stops the role; the task fails when not empty.
  returned: always
  type: list
  elements: str
message:
  description: One paragraph summing up.
  returned: always
  type: str
waited:
  description: Seconds spent waiting with O(expect_allocatable).
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.azureml.kubernetes.plugins.module_utils.kube import auth_argument_spec
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners.gpu import run

ARGUMENT_SPEC = dict(
    cluster_name=dict(type="str", required=True),
    extension_name=dict(type="str", default="azureml"),
    namespace=dict(type="str", default="azureml"),
    node_selector=dict(type="dict", default={}),
    install_device_plugin=dict(type="bool", default=False),
    reuse_dcgm_exporter=dict(type="bool", default=False),
    dcgm_exporter_namespace=dict(type="str"),
    taint_nodes=dict(type="bool", default=False),
    taints=dict(type="list", elements="dict", default=[]),
    labels=dict(type="dict", default={}),
    expect_allocatable=dict(type="bool", default=False),
    wait_timeout=dict(type="int", default=300),
    wait_sleep=dict(type="int", default=5),
    **auth_argument_spec(),
)


def main() -> None:
    run(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True))


if __name__ == "__main__":
    main()
