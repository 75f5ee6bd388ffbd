"""The agent's pure decisions: Helm's ownership refusal, node eligibility, the resource planning, seed lists."""
from __future__ import annotations

import pytest

from sandbox import seeds
from sandbox.agent import components as comp
from sandbox.agent import healthcheck as hc
from sandbox.agent import helm
from sandbox.seeds import crds
from sandbox.tests.agent_support import VOLCANO_JOBS_REFUSAL


def node(name="n1", cpu="4", memory="16Gi", ready=True, labels=None, taints=None, unschedulable=False):
    return {"metadata": {"name": name, "labels": labels or {}},
            "spec": {"taints": taints or [], "unschedulable": unschedulable},
            "status": {"allocatable": {"cpu": cpu, "memory": memory},
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def test_helm_ownership_message_is_helms():
    crd = {"kind": "CustomResourceDefinition", "metadata": {"name": "jobs.batch.volcano.sh"}}
    assert helm.conflict_message(crd, "aml", "install") == VOLCANO_JOBS_REFUSAL


def test_helm_ownership_other_release_and_adoption():
    obj = {"kind": "Service", "metadata": {"name": "x", "namespace": "azureml",
                                           "labels": {helm.MANAGED_BY: "Helm"},
                                           "annotations": helm.annotations("other")}}
    msg = helm.conflict_message(obj, "aml", "update")
    assert "Unable to continue with update" in msg
    assert 'key "meta.helm.sh/release-name" must equal "aml": current value is "other"' in msg
    assert "label validation error" not in msg
    # The docs' fix (label + annotate) makes it adoptable.
    obj["metadata"]["annotations"] = helm.annotations("aml")
    assert helm.conflict_message(obj, "aml", "install") is None


def test_eligible_nodes():
    assert hc.eligible(node(), {})
    assert not hc.eligible(node(ready=False), {})
    assert not hc.eligible(node(unschedulable=True), {})
    assert not hc.eligible(node(labels={"pool": "a"}), {"pool": "b"})
    assert hc.eligible(node(labels={"pool": "a"}), {"pool": "a"})
    amlarc = [{"key": "ml.azure.com/amlarc", "value": "true", "effect": "NoSchedule"},
              {"key": "ml.azure.com/amlarc-system", "value": "true", "effect": "NoExecute"}]
    assert hc.eligible(node(taints=amlarc), {})
    gpu = [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]
    assert not hc.eligible(node(taints=gpu), {})
    assert hc.eligible(node(taints=gpu), {}, kind="DaemonSet")
    assert hc.eligible(node(taints=[{"key": "x", "effect": "PreferNoSchedule"}]), {})


def test_capacity_fits_and_fails():
    items = comp.expected("aml", {"enableTraining": "True", "enableInference": "True", "inferenceRouterHA": "False"},
                          "managedClusters")
    # 1910m / 2884Mi on one node (the documented test minimum for both workloads).
    assert hc.capacity_failure(items, [node(cpu="1910m", memory="2884Mi")], [], {}) is None
    f = hc.capacity_failure(items, [node(cpu="1900m", memory="2884Mi")], [], {})
    assert f.code == hc.INSUFFICIENT_RESOURCES
    assert "request 1910m CPU and 2884Mi memory" in f.message and "1900m CPU" in f.message
    # Pods outside azureml take their requests from the node; Succeeded ones do not.
    busy = {"metadata": {"name": "p", "namespace": "default"}, "spec": {"nodeName": "n1", "containers": [
        {"resources": {"requests": {"cpu": "100m", "memory": "1Gi"}}}]}, "status": {"phase": "Running"}}
    assert hc.capacity_failure(items, [node(cpu="2", memory="3Gi")], [busy], {}) is not None
    done = {**busy, "status": {"phase": "Succeeded"}}
    assert hc.capacity_failure(items, [node(cpu="2", memory="3Gi")], [done], {}) is None


def test_capacity_largest_pod_must_fit_one_node():
    items = comp.expected("aml", {"enableInference": "True", "inferenceRouterHA": "False"}, "managedClusters")
    small = [node(f"n{i}", cpu="800m", memory="4Gi") for i in range(4)]
    f = hc.capacity_failure(items, small, [], {})
    assert f and "no node has room for a pod of azureml-fe-v2" in f.message


def test_capacity_counts_only_eligible_nodes():
    items = comp.expected("aml", {"enableTraining": "True"}, "managedClusters")
    nodes = [node("a", labels={"pool": "cpu"}, cpu="400m", memory="4Gi"), node("b", labels={"pool": "aml"})]
    assert hc.capacity_failure(items, nodes, [], {"pool": "aml"}) is None
    assert hc.capacity_failure(items, nodes, [], {"pool": "cpu"}) is not None


def test_seed_validation():
    assert seeds.validate(None) == []
    assert seeds.validate(["volcano_crds", {"name": "legacy_azureml_fe", "namespace": "ns1"}]) == [
        ("volcano_crds", {}), ("legacy_azureml_fe", {"namespace": "ns1"})]
    bad = [
        ("x", "situations"),
        ([3], "situations[0]"),
        (["nope"], "situations[0].name"),
        ([{"name": "volcano_crds", "namespace": "a"}], "situations[0].namespace"),
        ([{"name": "dcgm_exporter", "namespace": "Not_A_Name"}], "situations[0].namespace"),
        (["openshift", "openshift"], "situations[1].name"),
    ]
    for items, target in bad:
        with pytest.raises(seeds.SeedError) as e:
            seeds.validate(items)
        assert e.value.target == target, (items, str(e.value))
    assert set(seeds.SITUATIONS) == {"legacy_azureml_fe", "prometheus_operator", "volcano_crds", "dcgm_exporter",
                                     "openshift", "azureml_terminating"}
    assert seeds.options("dcgm_exporter") == {"namespace": "gpu-operator", "instance": "gpu-operator"}


def test_crd_definitions():
    for group, expected in ((crds.MONITORING, {"servicemonitors", "prometheuses", "podmonitors"}),
                            (crds.VOLCANO, {"jobs", "queues", "podgroups"}),
                            (crds.OPENSHIFT, {"securitycontextconstraints"}),
                            (crds.AMLARC, {"instancetypes"})):
        docs = crds.load(group)
        assert {d["spec"]["names"]["plural"] for d in docs} == expected
        for d in docs:
            assert d["metadata"]["name"] == f"{d['spec']['names']['plural']}.{d['spec']['group']}"
            assert not (d["metadata"].get("labels") or d["metadata"].get("annotations"))
    it = crds.get("instancetypes.amlarc.azureml.com")
    assert it["spec"]["versions"][0]["name"] == "v1alpha1" and it["spec"]["names"]["listKind"] == "InstanceTypeList"
    assert crds.get("securitycontextconstraints.security.openshift.io")["spec"]["scope"] == "Cluster"


def test_fresh_node_not_ready_taint_is_transient():
    taint = [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]
    assert hc.eligible(node(taints=taint), {})
    assert not hc.eligible(node(taints=taint, ready=False), {})
