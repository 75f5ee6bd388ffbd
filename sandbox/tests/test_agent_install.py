"""The agent's install, update and delete against a real control plane: the controllers, the scheduler
and kwok turn what it writes into pods, Running or Pending as the nodes allow."""
from __future__ import annotations

from sandbox.agent import components as comp
from sandbox.agent import install, kubeapi
from sandbox.kube.nodes import NodePool
from sandbox.tests.agent_support import cluster, kube, pods_by_phase  # noqa: F401  (fixture)

BOTH = {"enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "NodePort",
        "allowInsecureConnections": "True"}
CRD = ("apiextensions.k8s.io/v1", "CustomResourceDefinition")


def expected_pods(settings, cluster_type, nodes):
    return sum(nodes if e.component.per_node else e.replicas for e in comp.expected("aml", settings, cluster_type))


def all_running(c, count):
    phases = pods_by_phase(c, "azureml")
    return len(phases) == count and all(p == "Running" for p in phases.values()) and phases


def test_install_creates_what_the_chart_would_and_pods_run(kube):
    c = cluster(kube)
    refs = c.run(lambda api: install.apply(api, "aml", BOTH, "connectedClusters"))
    assert c.run(lambda api: install.apply(api, "aml", BOTH, "connectedClusters")) == refs  # idempotent
    for e in comp.expected("aml", BOTH, "connectedClusters"):
        obj = c.get("apps/v1", e.kind, e.name, "azureml")
        assert obj, e.name
        assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
        assert obj["metadata"]["annotations"]["meta.helm.sh/release-name"] == "aml"
        assert obj["metadata"]["annotations"]["meta.helm.sh/release-namespace"] == "azureml"
    assert c.get("apps/v1", "Deployment", "relayserver", "azureml")  # Arc only
    assert c.get("apps/v1", "Deployment", "azureml-fe-v2", "azureml")["spec"]["replicas"] == 3
    for sa in ("azureml-fe-v2", "prom-operator", "prom-prometheus", "aml-kube-state-metrics"):
        assert c.get("v1", "ServiceAccount", sa, "azureml"), sa
    # The CLI writes nginxIngress.enabled=false off AKS: no bundled ingress-nginx on Arc.
    assert c.get("apps/v1", "Deployment", "azureml-ingress-nginx-controller", "azureml") is None
    svc = c.get("v1", "Service", "azureml-fe", "azureml")
    assert svc["spec"]["type"] == "NodePort" and svc["spec"]["ports"][0]["nodePort"] > 0
    assert c.get("v1", "ConfigMap", "arcml-healthcheck", "azureml")
    assert kubeapi.crd_established(c.get(*CRD, "instancetypes.amlarc.azureml.com"))
    # The InstanceType CRD takes the documented instance type and refuses one without limits.
    it = {"apiVersion": "amlarc.azureml.com/v1alpha1", "kind": "InstanceType", "metadata": {"name": "gpu1"},
          "spec": {"nodeSelector": {"pool": "gpu"},
                   "resources": {"requests": {"cpu": "700m", "memory": "1500Mi"},
                                 "limits": {"cpu": "1", "memory": "2Gi", "nvidia.com/gpu": 1}}}}
    assert c.run(lambda api: kubeapi.apply(api, it, field_manager="test"))["spec"]["resources"]["limits"]["nvidia.com/gpu"] == 1
    bad = {**it, "metadata": {"name": "bad"}, "spec": {"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}}
    try:
        c.run(lambda api: kubeapi.apply(api, bad, field_manager="test"))
        raise AssertionError("an InstanceType without limits was accepted")
    except kubeapi.ApiException as e:
        assert e.status == 422
    # Real pods: 13 Deployments (azureml-fe-v2 x3), fluent-bit on each of 3 nodes, the StatefulSet.
    count = expected_pods(BOTH, "connectedClusters", 3)
    assert count == 19
    c.wait(lambda: all_running(c, count), 90, f"{count} Running pods in azureml")
    fe_pod = next(p for p in c.list("v1", "Pod", "azureml") if p["metadata"]["name"].startswith("azureml-fe-v2"))
    assert fe_pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "900m", "memory": "800Mi"}


def test_update_reconciles_and_delete_removes(kube):
    c = cluster(kube)
    c.run(lambda api: install.apply(api, "aml", BOTH, "managedClusters"))
    assert c.get(*CRD, "jobs.batch.volcano.sh")
    assert c.get(*CRD, "servicemonitors.monitoring.coreos.com")
    off = {**BOTH, "installVolcano": "False", "installPromOp": "False", "inferenceRouterServiceType": "ClusterIP",
           "inferenceRouterHA": "False"}
    c.run(lambda api: install.apply(api, "aml", off, "managedClusters"))
    for gone in ("volcano-admission", "volcano-controllers", "volcano-scheduler", "aml-prometheus-operator"):
        assert c.get("apps/v1", "Deployment", gone, "azureml") is None, gone
    assert c.get("v1", "ServiceAccount", "prom-operator", "azureml") is None
    assert c.get(*CRD, "jobs.batch.volcano.sh") is None                    # a template: removed
    assert c.get(*CRD, "servicemonitors.monitoring.coreos.com")            # crds/ directory: kept
    assert c.get("v1", "Service", "azureml-fe", "azureml")["spec"]["type"] == "ClusterIP"
    assert c.get("apps/v1", "Deployment", "azureml-fe-v2", "azureml")["spec"]["replicas"] == 1
    training = {"enableTraining": "True"}
    c.run(lambda api: install.apply(api, "aml", training, "managedClusters"))
    assert c.get("apps/v1", "Deployment", "azureml-fe-v2", "azureml") is None
    assert c.get("v1", "Service", "azureml-fe", "azureml") is None
    assert c.get("apps/v1", "Deployment", "volcano-scheduler", "azureml")
    c.wait(lambda: all_running(c, expected_pods(training, "managedClusters", 3)), 90, "training pods Running")

    c.run(lambda api: install.delete(api, "aml", wait_seconds=90))
    assert c.get("v1", "Namespace", "azureml") is None
    assert c.get(*CRD, "instancetypes.amlarc.azureml.com") is None
    assert c.get(*CRD, "jobs.batch.volcano.sh") is None
    c.run(lambda api: install.delete(api, "aml"))  # idempotent


def test_pods_pending_when_nodes_lack_room(kube):
    c = cluster(kube, NodePool(count=1, cpu="1", memory="2Gi"))
    settings = {"enableInference": "True", "inferenceRouterHA": "False", "allowInsecureConnections": "True"}
    c.run(lambda api: install.apply(api, "aml", settings, "managedClusters"))
    c.wait(lambda: "Pending" in pods_by_phase(c, "azureml").values(), 60, "a Pending pod")
    c.wait(lambda: any(e["reason"] == "FailedScheduling" and "Insufficient" in e["message"]
                       for e in c.list("v1", "Event", "azureml")), 30, "the scheduler's FailedScheduling event")


def test_gpu_nodes_node_selector_and_taints(kube):
    gpu = NodePool(name="gpu", count=1, gpu=1, labels={"aml": "yes"},
                   taints=({"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"},))
    cpu = NodePool(name="cpu", count=1, labels={"aml": "yes"})
    other = NodePool(name="other", count=1)
    c = cluster(kube, gpu, cpu, other)
    settings = {"enableTraining": "True", "installNvidiaDevicePlugin": "True", "installDcgmExporter": "True",
                "nodeSelector.aml": "yes"}
    c.run(lambda api: install.apply(api, "aml", settings, "managedClusters"))
    nodes = {n["metadata"]["name"]: n for n in c.list("v1", "Node")}
    pool_of = {name: ("gpu" if "gpu" in name else "cpu" if "cpu" in name else "other") for name in nodes}

    count = expected_pods(settings, "managedClusters", 2)  # DaemonSets on the two selected nodes

    def placed():
        pods = c.list("v1", "Pod", "azureml")
        if len(pods) != count or any((p.get("status") or {}).get("phase") != "Running" for p in pods):
            return None
        return {(p["metadata"]["labels"]["app.kubernetes.io/name"], pool_of[p["spec"]["nodeName"]]) for p in pods}

    got = c.wait(placed, 90, f"{count} pods Running")
    # DaemonSets run on both selected nodes (the GPU taint tolerated), never on the unselected one.
    for ds in ("fluent-bit", "nvidia-device-plugin-daemonset", "aml-dcgm-exporter"):
        assert {(ds, "gpu"), (ds, "cpu")} <= got, ds
    assert not any(pool == "other" for _, pool in got)
    # Deployments do not tolerate the GPU taint: all on the cpu node.
    assert ("aml-operator", "cpu") in got and ("aml-operator", "gpu") not in got
