# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import gpu
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners import gpu as runner
from ansible_collections.azureml.kubernetes.tests.support import fake_module
from ansible_collections.azureml.kubernetes.tests.support.fake_module import TaskFailed


def node(name, gpus=0, pool="gpu", runtime="containerd://1.7.27-1", kubelet="v1.30.1"):
    resources = {"cpu": "4", **({gpu.GPU_RESOURCE: str(gpus)} if gpus else {})}
    return {"metadata": {"name": name, "labels": {"agentpool": pool}}, "spec": {},
            "status": {"allocatable": resources, "capacity": resources,
                       "nodeInfo": {"containerRuntimeVersion": runtime, "kubeletVersion": kubelet}}}


def ds(name, namespace, labels, tolerations=None):
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"template": {"metadata": {"labels": labels}, "spec": {"tolerations": tolerations or []}}}}


DCGM = ds("dcgm-exporter", "gpu-operator", {"app.kubernetes.io/name": "dcgm-exporter",
                                            "app.kubernetes.io/instance": "gpu-operator"},
          [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}])

CRD = {"metadata": {"name": gpu.SERVICEMONITOR_CRD},
       "status": {"conditions": [{"type": "Established", "status": "True"}]}}


def options(**kw):
    base = {"cluster_name": "c1", "extension_name": "azureml", "namespace": "azureml", "node_selector": {},
            "install_device_plugin": False, "reuse_dcgm_exporter": False, "dcgm_exporter_namespace": None,
            "taint_nodes": False, "taints": [], "labels": {}, "expect_allocatable": False,
            "wait_timeout": 10, "wait_sleep": 1}
    base.update(kw)
    return base


NODES = [node("sys1", 0, pool="sys"), node("g1", 1), node("g2", 1)]


def test_finds_gpu_nodes_and_pool():
    report = runner.decide(options(), runner.Observed(nodes=NODES))
    assert [n["name"] for n in report["nodes"]] == ["g1", "g2"] and report["total_gpus"] == 2
    assert report["pool"] == ["g1", "g2"] and report["pool_from"] == "allocatable" and report["problems"] == []
    assert report["extension_settings"] == {"installNvidiaDevicePlugin": "False"}


def test_device_plugin_checks_and_warnings():
    plain = [node("sys1", 0, pool="sys"), node("g1", 0), node("g2", 0, runtime="cri-o://1.29")]
    report = runner.decide(options(install_device_plugin=True, node_selector={"agentpool": "gpu"}),
                           runner.Observed(nodes=plain))
    assert [c["verdict"] for c in report["device_plugin"]["checks"]] == ["pass", "pass"]
    assert report["device_plugin"]["not_visible"] == list(gpu.NOT_VISIBLE) and report["warnings"] == []
    other = runner.decide(options(install_device_plugin=True),
                          runner.Observed(nodes=NODES, daemonsets=[ds("nvidia-device-plugin-ds", "kube-system", {})]))
    assert "already runs (kube-system/nvidia-device-plugin-ds)" in other["warnings"][0]
    empty = runner.decide(options(install_device_plugin=True), runner.Observed(nodes=plain))
    assert "give node_selector" in empty["warnings"][0]


def test_dcgm_reuse_objects_and_failures():
    report = runner.decide(options(reuse_dcgm_exporter=True), runner.Observed(NODES, [DCGM], CRD))
    assert report["problems"] == [] and report["dcgm"]["exporter"]["namespace"] == "gpu-operator"
    assert [o["kind"] for o in report["dcgm"]["objects"]] == ["Service", "ServiceMonitor"]
    assert report["dcgm"]["refs"][1] == {"kind": "ServiceMonitor", "namespace": "azureml", "name": "dcgm-exporter-monitor"}
    assert report["extension_settings"]["installDcgmExporter"] == "False"
    no_crd = runner.decide(options(reuse_dcgm_exporter=True), runner.Observed(NODES, [DCGM], None))
    assert any("servicemonitors.monitoring.coreos.com" in p for p in no_crd["problems"])
    none = runner.decide(options(reuse_dcgm_exporter=True), runner.Observed(NODES, [], CRD))
    assert "No dcgm-exporter DaemonSet" in none["problems"][0]
    second = ds("dcgm-exporter", "monitoring", {"app.kubernetes.io/name": "dcgm-exporter"})
    two = runner.decide(options(reuse_dcgm_exporter=True), runner.Observed(NODES, [DCGM, second], CRD))
    assert "set dcgm_exporter_namespace" in two["problems"][0]
    chosen = runner.decide(options(reuse_dcgm_exporter=True, dcgm_exporter_namespace="monitoring"),
                           runner.Observed(NODES, [DCGM, second], CRD))
    assert chosen["problems"] == [] and chosen["dcgm"]["exporter"]["namespace"] == "monitoring"


def test_taints_plan_and_warnings():
    report = runner.decide(options(taint_nodes=True, reuse_dcgm_exporter=True, labels={"ml.azure.com/amlarc": "true"}),
                           runner.Observed(NODES, [DCGM], CRD))
    assert [c["name"] for c in report["taint"]["changes"]] == ["g1", "g2"]
    assert report["taint"]["taints"] == list(gpu.DEFAULT_TAINTS)
    assert any("does not tolerate ml.azure.com/amlarc=true:NoSchedule" in w for w in report["warnings"])
    bad = runner.decide(options(taint_nodes=True, taints=[{"key": "gpu", "value": "x"}]), runner.Observed(NODES))
    assert "not one AML pods tolerate" in bad["problems"][0]
    nopool = runner.decide(options(taint_nodes=True), runner.Observed([node("sys1", 0, pool="sys")]))
    assert "No GPU pool to taint" in nopool["problems"][0]


def test_allocatable_expected():
    pool = {"agentpool": "gpu"}
    ok = runner.decide(options(expect_allocatable=True, node_selector=pool), runner.Observed(NODES))
    assert ok["allocatable"] == {"expected": True, "ok": True, "nodes_without": [], "total": 2}
    missing = runner.decide(options(expect_allocatable=True, node_selector=pool),
                            runner.Observed([node("g1", 1), node("g2", 0)]))
    assert missing["allocatable"]["nodes_without"] == ["g2"] and "No allocatable nvidia.com/gpu on g2" in missing["problems"][0]


def task_module(**kw):
    return fake_module.FakeModule(options(**kw))


class FakeKube:
    def __init__(self, sequence):
        self.sequence, self.reads = sequence, 0

    def list(self, kind, namespace, api_version="v1", **_kw):
        if kind == "Node":
            nodes = self.sequence[min(self.reads, len(self.sequence) - 1)]
            self.reads += 1
            return nodes
        return []

    def get(self, *_a, **_kw):
        return None


def test_apply_waits_for_allocatable():
    clock = iter(range(100))
    kube = FakeKube([[node("g1", 0)], [node("g1", 0)], [node("g1", 1)]])
    result = runner.apply(task_module(expect_allocatable=True, node_selector={"agentpool": "gpu"}), kube=kube,
                          clock=lambda: next(clock), sleep=lambda s: None)
    assert result["allocatable"]["ok"] and kube.reads == 3 and result["changed"] is False


def test_apply_fails_with_the_report():
    clock = iter(range(100))
    with pytest.raises(TaskFailed) as done:
        runner.apply(task_module(expect_allocatable=True, wait_timeout=3, node_selector={"agentpool": "gpu"}),
                     kube=FakeKube([[node("g1", 0)]]), clock=lambda: next(clock), sleep=lambda s: None)
    out = done.value.args[0]
    assert out["msg"].startswith("GPU checks on cluster c1 failed: No allocatable") and out["pool"] == ["g1"]


def test_return_docs_name_every_key():
    import yaml

    from ansible_collections.azureml.kubernetes.plugins.modules import aml_gpu_info

    documented = yaml.safe_load(aml_gpu_info.RETURN)
    result = runner.apply(task_module(), kube=FakeKube([[node("g1", 1)]]), clock=lambda: 0, sleep=lambda s: None)
    assert set(result) - {"changed"} == set(documented)
    for key in ("device_plugin", "dcgm", "taint", "allocatable"):
        assert set(result[key]) == set(documented[key]["contains"]), key
