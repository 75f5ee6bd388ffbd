# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import gpu


def node(name, gpus=0, pool="gpu", runtime="containerd://1.7.27-1", kubelet="v1.30.1", taints=None, labels=None):
    resources = {"cpu": "4"}
    if gpus:
        resources[gpu.GPU_RESOURCE] = str(gpus)
    return {"metadata": {"name": name, "labels": {"agentpool": pool, **(labels or {})}},
            "spec": {"taints": taints} if taints else {},
            "status": {"allocatable": resources, "capacity": resources,
                       "nodeInfo": {"containerRuntimeVersion": runtime, "kubeletVersion": kubelet}}}


def test_parse_runtime_and_versions():
    assert gpu.parse_runtime("containerd://1.7.27-1") == ("containerd", "1.7.27-1")
    assert gpu.parse_runtime("cri-o://1.29.1") == ("cri-o", "1.29.1")
    assert gpu.parse_runtime(None) == (None, None)
    assert gpu.version_tuple("v1.9.11") == (1, 9, 11) and gpu.version_tuple("x") == ()


def test_gpu_nodes_and_pool():
    summaries = [gpu.node_summary(n) for n in (node("a", 2), node("b", 0, pool="sys"), node("c", 0))]
    assert [n["name"] for n in gpu.gpu_nodes(summaries)] == ["a"]
    assert [n["name"] for n in gpu.select(summaries, {"agentpool": "gpu"})] == ["a", "c"]
    assert summaries[0]["pool"] == "gpu" and summaries[0]["gpu_allocatable"] == 2
    assert gpu.quantity("bad") == 0


def test_device_plugin_checks_say_what_the_api_cannot_show():
    checks = gpu.device_plugin_checks([gpu.node_summary(n) for n in (
        node("a"), node("b", runtime="remote://x"), node("c", kubelet="v1.9.0"))])
    assert [c["verdict"] for c in checks] == ["pass", "warn", "fail"]
    assert "containerd 1.7.27-1" in checks[0]["reason"] and "not visible from the API" in checks[0]["reason"]
    assert "1.7.0" in gpu.NOT_VISIBLE[0] and "default" in gpu.NOT_VISIBLE[0]


def ds(name, namespace, labels, tolerations=None):
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"template": {"metadata": {"labels": labels}, "spec": {"tolerations": tolerations or []}}}}


DCGM = ds("dcgm-exporter", "gpu-operator", {"app.kubernetes.io/name": "dcgm-exporter",
                                            "app.kubernetes.io/instance": "gpu-operator"},
          [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}])


def test_exporters_skip_the_extensions_own():
    own = ds("azureml-dcgm-exporter", "azureml", {"app.kubernetes.io/name": "dcgm-exporter"})
    found = gpu.exporters([DCGM, own, ds("x", "y", {})], "azureml")
    assert [(e["namespace"], e["instance"]) for e in found] == [("gpu-operator", "gpu-operator")]
    plugins = gpu.device_plugins([ds("nvidia-device-plugin-daemonset", "kube-system", {}),
                                  ds("nvidia-device-plugin-daemonset", "azureml", {})], "azureml")
    assert plugins == [{"namespace": "kube-system", "name": "nvidia-device-plugin-daemonset"}]


def test_dcgm_objects_are_the_documented_ones():
    service, monitor = gpu.dcgm_objects(gpu.exporters([DCGM], "azureml")[0], "ml-ext", "azureml")
    assert service == {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "dcgm-exporter-service", "namespace": "gpu-operator",
                     "labels": {"app.kubernetes.io/name": "dcgm-exporter", "app.kubernetes.io/instance": "ml-ext",
                                "app.kubernetes.io/component": "dcgm-exporter"},
                     "annotations": {"prometheus.io/scrape": "true"}},
        "spec": {"type": "ClusterIP",
                 "selector": {"app.kubernetes.io/name": "dcgm-exporter", "app.kubernetes.io/instance": "gpu-operator"},
                 "ports": [{"name": "metrics", "port": 9400, "targetPort": 9400, "protocol": "TCP"}]}}
    assert monitor == {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
        "metadata": {"name": "dcgm-exporter-monitor", "namespace": "azureml", "labels": {"release": "ml-ext"}},
        "spec": {"selector": {"matchLabels": service["metadata"]["labels"]},
                 "namespaceSelector": {"matchNames": ["gpu-operator"]},
                 "endpoints": [{"port": "metrics", "path": "/metrics"}]}}


def test_validate_taints():
    assert gpu.validate_taints(gpu.DEFAULT_TAINTS) == list(gpu.DEFAULT_TAINTS)
    assert gpu.validate_taints([{"key": "ml.azure.com/workspace", "value": "ws1"}])[0]["effect"] == "NoSchedule"
    with pytest.raises(ValueError, match="not one AML pods tolerate"):
        gpu.validate_taints([{"key": "gpu", "value": "true"}])
    with pytest.raises(ValueError, match="effect"):
        gpu.validate_taints([{"key": "ml.azure.com/amlarc", "value": "true", "effect": "Never"}])
    with pytest.raises(ValueError, match="needs a value"):
        gpu.validate_taints([{"key": "ml.azure.com/amlarc"}])


def test_node_changes_only_what_is_missing():
    tainted = node("a", 1, taints=[dict(gpu.DEFAULT_TAINTS[0])], labels={"ml.azure.com/amlarc": "true"})
    other_value = node("b", 1, taints=[{"key": "ml.azure.com/amlarc", "value": "no", "effect": "NoSchedule"}])
    done = node("c", 1, taints=[dict(t) for t in gpu.DEFAULT_TAINTS], labels={"ml.azure.com/amlarc": "true"})
    changes = gpu.node_changes([gpu.node_summary(n) for n in (tainted, other_value, done)], list(gpu.DEFAULT_TAINTS),
                               {"ml.azure.com/amlarc": "true"})
    assert changes == [
        {"name": "a", "add_taints": [dict(gpu.DEFAULT_TAINTS[1])], "set_labels": {}},
        {"name": "b", "add_taints": [dict(t) for t in gpu.DEFAULT_TAINTS], "set_labels": {"ml.azure.com/amlarc": "true"}}]


def test_tolerations():
    taint = {"key": "ml.azure.com/amlarc", "value": "true", "effect": "NoSchedule"}
    assert gpu.tolerates([{"operator": "Exists"}], taint)
    assert gpu.tolerates([{"key": "ml.azure.com/amlarc", "operator": "Exists"}], taint)
    assert gpu.tolerates([{"key": "ml.azure.com/amlarc", "value": "true", "effect": "NoSchedule"}], taint)
    assert not gpu.tolerates([{"key": "ml.azure.com/amlarc", "value": "false"}], taint)
    assert not gpu.tolerates([{"key": "ml.azure.com/amlarc", "operator": "Exists", "effect": "NoExecute"}], taint)
    assert gpu.untolerated([], [taint, dict(taint, effect="PreferNoSchedule")]) == ["ml.azure.com/amlarc=true:NoSchedule"]


def test_settings():
    assert gpu.settings(True, True) == {"installNvidiaDevicePlugin": "True", "installDcgmExporter": "False"}
    assert gpu.settings(False, False) == {"installNvidiaDevicePlugin": "False"}
