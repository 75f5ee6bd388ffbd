"""Each documented cause of a failed install, seeded into a real cluster, fails an ARM install with its code:
the agent's health check reads the cluster when the operation ends (as the extension's does), and the
resource ends Failed with the code in statuses and errorInfo, and the verdict in ConfigMap arcml-healthcheck."""
from __future__ import annotations

import json
import re

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.kubernetesconfiguration.models import Extension, Scope, ScopeCluster
from kubernetes import client, config

from .conftest import RG

AKS, ARC = ("Microsoft.ContainerService", "managedClusters"), ("Microsoft.Kubernetes", "connectedClusters")
BOTH = {"enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "loadBalancer",
        "allowInsecureConnections": "True", "inferenceRouterHA": "False"}

CASES = {
    # name: (cluster seed, settings, provider, expected code, text in the message)
    "legacy azureml-fe v1 role": ({"situations": ["legacy_azureml_fe"]}, BOTH, AKS, "E45004", "azureml-fe-role"),
    # The v1 roles already deleted (see BEFORE_INSTALL), its Deployment and Services left: E45005, not E45004.
    "legacy azureml-fe v1 workloads": ({"situations": ["legacy_azureml_fe"]}, BOTH, AKS, "E45005",
                                       "AZUREML_FE_DEPLOYMENT_CONFLICT: the legacy azureml-fe (v1) Deployment "
                                       "default/azureml-fe"),
    "router HA on 2 nodes": ({"node_count": 2}, {**BOTH, "inferenceRouterHA": "True"}, AKS, "E40002",
                             "INSUFFICIENT_NODE"),
    "internal load balancer on Arc": ({}, {**BOTH, "internalLoadBalancerProvider": "azure"}, ARC, "E40003",
                                      "internalLoadBalancerProvider"),
    "existing Prometheus operator": ({"situations": ["prometheus_operator"]}, BOTH, AKS, "E45002",
                                     "PROMETHEUS_CONFLICT"),
    "Volcano CRDs not owned by the release": ({"situations": ["volcano_crds"]}, {"enableTraining": "True"}, AKS,
                                              "InstallationFailed", "invalid ownership metadata"),
    "azureml still Terminating": ({"situations": ["azureml_terminating"]}, {"enableTraining": "True"}, AKS,
                                  "InstallationFailed", "being terminated"),
    # Training's documented requests are 410m CPU and 1492Mi memory (the reference's test sizing): one node
    # short of CPU alone, one short of memory alone (SHORT_OF checks the figures the agent reports).
    "CPU above allocatable": ({"nodes": [{"count": 1, "cpu": "300m", "memory": "8Gi"}]},
                              {"enableTraining": "True"}, AKS, "InsufficientResources", "allocatable"),
    "memory above allocatable": ({"nodes": [{"count": 1, "cpu": "8", "memory": "1Gi"}]},
                                 {"enableTraining": "True"}, AKS, "InsufficientResources", "allocatable"),
}
SHORT_OF = {"CPU above allocatable": "cpu", "memory above allocatable": "memory"}
FIGURES = re.compile(r"request (\d+)m CPU and (\d+)Mi memory .* have (\d+)m CPU and (\d+)Mi memory")


def _delete_legacy_fe_roles(api):
    """What an operator half-way through the docs' cleanup leaves: the two cluster-scoped v1 roles gone."""
    rbac = client.RbacAuthorizationV1Api(api)
    rbac.delete_cluster_role_binding("azureml-fe-binding")
    rbac.delete_cluster_role("azureml-fe-role")


# Done through the Kubernetes API after the cluster is seeded, before the install.
BEFORE_INSTALL = {"legacy azureml-fe v1 workloads": _delete_legacy_fe_roles}


@pytest.mark.parametrize("case", list(CASES))
def test_a_documented_cause_fails_the_install_with_its_code(sandbox, ext_client, case):
    seed, settings, (namespace, kind), code, text = CASES[case]
    name = "fail-" + "".join(ch for ch in case if ch.isalnum())[:20].lower()
    spec = {"name": name, "cluster_type": kind, "resource_group": RG, "location": "eastus", **seed}
    if "nodes" not in seed:
        spec.setdefault("node_count", 3)
    sandbox.ctl("POST", "/_sandbox/clusters", spec)
    api = config.new_client_from_config(config_file=sandbox.env["K8S_AUTH_KUBECONFIG"], context=name)
    if case in BEFORE_INSTALL:
        BEFORE_INSTALL[case](api)
    args = (RG, namespace, kind, name)
    body = Extension(extension_type="Microsoft.AzureML.Kubernetes", auto_upgrade_minor_version=True,
                     release_train="stable", scope=Scope(cluster=ScopeCluster(release_namespace="azureml")),
                     configuration_settings=settings)
    with pytest.raises(HttpResponseError) as failed:
        ext_client.extensions.begin_create(*args, "azureml", body).result()
    assert failed.value.error.code == "ExtensionOperationFailed" and code in failed.value.message
    got = ext_client.extensions.get(*args, "azureml")
    assert got.provisioning_state == "Failed"
    assert got.statuses[0].code == code and text in got.statuses[0].message, got.statuses[0].message
    assert got.error_info.code == code
    if case in SHORT_OF:
        figures = FIGURES.search(got.statuses[0].message)
        assert figures, got.statuses[0].message
        need_cpu, need_mem, have_cpu, have_mem = map(int, figures.groups())
        short = (need_cpu > have_cpu, need_mem > have_mem)
        assert short == (SHORT_OF[case] == "cpu", SHORT_OF[case] == "memory"), got.statuses[0].message

    if case != "azureml still Terminating":  # nothing can be written into a namespace being deleted
        verdicts = client.CoreV1Api(api).read_namespaced_config_map("arcml-healthcheck", "azureml").data
        assert any(code in json.dumps(v) for v in verdicts.values()), verdicts
