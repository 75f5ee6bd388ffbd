"""The agent's components table against the documentation (pure; no cluster)."""
from __future__ import annotations

import pytest

from sandbox.agent import components as comp
from sandbox.agent import install

ALL = {"enableTraining": "True", "enableInference": "True"}


def names(settings, cluster_type="managedClusters", ext="aml"):
    return [e.name for e in comp.expected(ext, settings, cluster_type)]


@pytest.mark.parametrize("settings,nodes,use_limits,cpu,mem", [
    # The cluster reference's minimums: test clusters on requests (1 node), production on limits.
    ({"enableInference": "True", "inferenceRouterHA": "False"}, 1, False, 1780, 2440),
    ({"enableTraining": "True"}, 1, False, 410, 1492),
    ({**ALL, "inferenceRouterHA": "False"}, 1, False, 1910, 2884),
    ({"enableInference": "True"}, 3, True, 12700, 15296),
    ({"enableTraining": "True"}, 1, True, 4420, 10960),
])
def test_documented_minimums(settings, nodes, use_limits, cpu, mem):
    assert comp.totals(comp.expected("aml", settings, "managedClusters"), nodes, use_limits) == (cpu, mem)


def test_prod_both_minimum_on_three_nodes():
    # 14820m / 18744Mi is the documented production minimum for both workloads on 3 nodes (fluent-bit x3).
    cpu, mem = comp.totals(comp.expected("aml", ALL, "managedClusters"), 3, True)
    assert (cpu, mem) == (14820, 18744)


def test_always_present_components():
    for settings in ({"enableTraining": "True"}, {"enableInference": "True"}):
        got = names(settings)
        for n in ("gateway", "metrics-controller-manager", "aml-kube-state-metrics", "fluent-bit",
                  "prometheus-prom-prometheus", "aml-prometheus-operator"):
            assert n in got


def test_relayserver_and_ingress_follow_the_cli_written_settings():
    assert "relayserver" not in names(ALL, "managedClusters")
    assert "relayserver" in names(ALL, "connectedClusters")
    assert "azureml-ingress-nginx-controller" in names(ALL, "managedClusters")
    assert "azureml-ingress-nginx-controller" not in names(ALL, "connectedClusters")
    assert "relayserver" in names({**ALL, "relayserver.enabled": "True"}, "managedClusters")
    assert "relayserver" not in names({**ALL, "relayserver.enabled": "false"}, "connectedClusters")
    assert "azureml-ingress-nginx-controller" in names({**ALL, "nginxIngress.enabled": "true"}, "connectedClusters")
    assert "azureml-ingress-nginx-controller" not in names({**ALL, "nginxIngress.enabled": "False"}, "managedClusters")
    assert "relayserver" in names({**ALL, "relayserver.enabled": "maybe"}, "connectedClusters")


def test_training_and_inference_components():
    training = names({"enableTraining": "True"})
    assert {"aml-operator", "volcano-admission", "volcano-controllers", "volcano-scheduler"} <= set(training)
    assert not {"azureml-fe-v2", "amlarc-identity-controller"} & set(training)
    inference = names({"enableInference": "True"})
    assert {"amlarc-identity-controller", "amlarc-identity-proxy", "azureml-fe-v2",
            "inference-operator-controller-manager", "azureml-ingress-nginx-controller"} <= set(inference)
    assert "aml-operator" not in inference and "volcano-scheduler" not in inference
    assert names({}) == []


def test_optional_settings_and_defaults():
    got = names(ALL)
    assert "aml-dcgm-exporter" not in got and "nvidia-device-plugin-daemonset" not in got
    got = names({**ALL, "installDcgmExporter": "true", "installNvidiaDevicePlugin": "TRUE",
                 "installPromOp": "False", "installVolcano": "false"})
    assert "aml-dcgm-exporter" in got and "nvidia-device-plugin-daemonset" in got
    assert "aml-prometheus-operator" not in got and "volcano-admission" not in got
    # Anything but "false" keeps a default-on component; anything but "true" keeps a default-off one off.
    assert "aml-prometheus-operator" in names({**ALL, "installPromOp": "no"})
    assert "aml-dcgm-exporter" not in names({**ALL, "installDcgmExporter": "yes"})


def test_kinds_and_name_template():
    by_name = {e.name: e for e in comp.expected("my-ext", {**ALL, "installDcgmExporter": "True",
                                                           "installNvidiaDevicePlugin": "True"}, "connectedClusters")}
    assert by_name["fluent-bit"].kind == "DaemonSet"
    assert by_name["my-ext-dcgm-exporter"].kind == "DaemonSet"
    assert by_name["nvidia-device-plugin-daemonset"].kind == "DaemonSet"
    assert by_name["prometheus-prom-prometheus"].kind == "StatefulSet"
    assert by_name["my-ext-kube-state-metrics"].kind == "Deployment"
    assert sum(1 for c in comp.COMPONENTS if comp.EXT in c.name) == 3


def test_router_replicas():
    fe = lambda s: next(e for e in comp.expected("aml", s, "managedClusters") if e.name == "azureml-fe-v2")
    assert fe({"enableInference": "True"}).replicas == 3
    assert fe({"enableInference": "True", "inferenceRouterHA": "False"}).replicas == 1
    # Keys are exact: InferenceRouterHA is not read (the CLI passes it through unread).
    assert fe({"enableInference": "True", "InferenceRouterHA": "False"}).replicas == 3


def test_settings_readers():
    assert comp.node_selector({"nodeSelector.pool": "aml", "nodeSelector.": "x", "other": "y"}) == {"pool": "aml"}
    assert comp.router_service_type({"inferenceRouterServiceType": "nodePort"}) == "NodePort"
    assert comp.router_service_type({"inferenceRouterServiceType": "ClusterIP"}) == "ClusterIP"
    assert comp.router_service_type({"inferenceRouterServiceType": "loadbalancer"}) == "LoadBalancer"


def test_service_accounts_are_the_scc_list():
    sas = comp.service_accounts("aml", ALL, "managedClusters")
    # The reference's OpenShift list, less `default` (every namespace has it).
    assert sas == sorted(["aml-kube-state-metrics", "prom-admission", "prom-operator", "load-amlarc-selinux-policy-sa",
                          "azureml-fe-v2", "prom-prometheus", "azureml-ingress-nginx", "azureml-ingress-nginx-admission"])
    assert "azureml-fe-v2" not in comp.service_accounts("aml", {"enableTraining": "True"}, "managedClusters")


def test_render_pods_request_documented_resources_and_honour_node_selector():
    objs = install.render("aml", {**ALL, "nodeSelector.agentpool": "aml", "installNvidiaDevicePlugin": "True"},
                          "managedClusters")
    by = {(o["kind"], o["metadata"]["name"]): o for o in objs}
    fe = by[("Deployment", "azureml-fe-v2")]
    pod = fe["spec"]["template"]["spec"]
    assert fe["spec"]["replicas"] == 3
    assert pod["containers"][0]["resources"] == {"requests": {"cpu": "900m", "memory": "800Mi"},
                                                 "limits": {"cpu": "2000m", "memory": "1200Mi"}}
    assert pod["nodeSelector"] == {"agentpool": "aml"}
    assert pod["serviceAccountName"] == "azureml-fe-v2"
    assert {"key": "ml.azure.com/amlarc", "operator": "Exists"} in pod["tolerations"]
    ds = by[("DaemonSet", "nvidia-device-plugin-daemonset")]["spec"]["template"]["spec"]
    assert install.GPU_TOLERATION in ds["tolerations"] and "resources" not in ds["containers"][0]
    for o in objs:
        meta = o["metadata"]
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "Helm"
        assert meta["annotations"] == {"meta.helm.sh/release-name": "aml", "meta.helm.sh/release-namespace": "azureml"}
        assert meta["labels"]["helm.sh/chart"].startswith("azureml-extension-")
    assert by[("Service", "azureml-fe")]["spec"]["type"] == "LoadBalancer"
    assert ("CustomResourceDefinition", "instancetypes.amlarc.azureml.com") in by
    assert ("CustomResourceDefinition", "jobs.batch.volcano.sh") in by


def test_render_without_training_has_no_volcano_crds():
    kinds = {(o["kind"], o["metadata"]["name"]) for o in install.render("aml", {"enableInference": "True"}, "managedClusters")}
    assert ("CustomResourceDefinition", "jobs.batch.volcano.sh") not in kinds
    assert ("CustomResourceDefinition", "instancetypes.amlarc.azureml.com") in kinds
