"""Each documented cause of a failed install, seeded into a real cluster, fails an ARM install with its code:
the agent's health check reads the cluster when the operation ends (as the extension's does), and the
resource ends Failed with the code in statuses and errorInfo, and the verdict in ConfigMap arcml-healthcheck."""
from __future__ import annotations

import json

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
    "requests above allocatable": ({"nodes": [{"count": 1, "cpu": "500m", "memory": "1Gi"}]},
                                   {"enableTraining": "True"}, AKS, "InsufficientResources", "allocatable"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_documented_cause_fails_the_install_with_its_code(sandbox, ext_client, case):
    seed, settings, (namespace, kind), code, text = CASES[case]
    name = "fail-" + "".join(ch for ch in case if ch.isalnum())[:20].lower()
    spec = {"name": name, "cluster_type": kind, "resource_group": RG, "location": "eastus", **seed}
    if "nodes" not in seed:
        spec.setdefault("node_count", 3)
    sandbox.ctl("POST", "/_sandbox/clusters", spec)
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

    if case != "azureml still Terminating":  # nothing can be written into a namespace being deleted
        api = config.new_client_from_config(config_file=sandbox.env["K8S_AUTH_KUBECONFIG"], context=name)
        verdicts = client.CoreV1Api(api).read_namespaced_config_map("arcml-healthcheck", "azureml").data
        assert any(code in json.dumps(v) for v in verdicts.values()), verdicts
