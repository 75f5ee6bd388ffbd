"""The health check read from a real cluster: each documented cause fails with its code and text, and
the verdict lands in ConfigMap arcml-healthcheck."""
from __future__ import annotations

from sandbox import seeds
from sandbox.agent import healthcheck as hc
from sandbox.agent import install, kubeapi
from sandbox.kube.nodes import NodePool
from sandbox.tests.agent_support import VOLCANO_JOBS_REFUSAL, cluster, kube  # noqa: F401  (fixture)

BOTH = {"enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "LoadBalancer",
        "allowInsecureConnections": "True"}
AKS, ARC = "managedClusters", "connectedClusters"


def check(c, settings, cluster_type=AKS, operation="install", ext="aml"):
    return c.run(lambda api: hc.check(api, ext, settings, cluster_type, operation))


def verdicts(c):
    return c.run(hc.read)


def test_passes_records_and_accepts_its_own_release(kube):
    c = cluster(kube)
    assert check(c, BOTH) is None
    assert verdicts(c)["pre-install"]["status"] == "passed"
    c.run(lambda api: install.apply(api, "aml", BOTH, AKS))
    # Its own azureml-fe Service, Prometheus operator, CRDs and templates are no conflict on update.
    assert check(c, BOTH, operation="update") is None
    v = verdicts(c)
    assert v["pre-upgrade"]["status"] == "passed" and v["pre-install"]["status"] == "passed"
    cm = c.get("v1", "ConfigMap", "arcml-healthcheck", "azureml")
    assert cm["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    # Another release name meets this one's objects: Helm refuses them.
    f = check(c, BOTH, operation="install", ext="other")
    assert f.code == "InstallationFailed" and "invalid ownership metadata" in f.message
    assert check(c, BOTH, operation="delete") is None


def test_router_ha_internal_lb_and_delete(kube):
    c = cluster(kube, NodePool(count=2))
    inference = {"enableInference": "True", "inferenceRouterServiceType": "NodePort", "allowInsecureConnections": "True"}
    f = check(c, inference)
    assert f.code == "E40002" and f.message.startswith("INSUFFICIENT_NODE:") and "2 Ready" in f.message
    v = verdicts(c)["pre-install"]
    assert (v["status"], v["code"], v["message"]) == ("failed", "E40002", f.message)
    assert check(c, {**inference, "inferenceRouterHA": "False"}) is None
    assert check(c, {"enableTraining": "True"}) is None  # no router without inference
    ilb = {"enableTraining": "True", "internalLoadBalancerProvider": "azure"}
    f = check(c, ilb, ARC)
    assert f.code == "E40003" and "only supported on AKS" in f.message
    assert check(c, ilb, AKS) is None


def test_legacy_azureml_fe(kube):
    c = cluster(kube)
    c.run(lambda api: seeds.apply(api, ["legacy_azureml_fe"]))
    f = check(c, BOTH)
    assert f.code == "E45004" and f.message.startswith("AZUREML_FE_ROLE_CONFLICT:")
    assert "ClusterRole azureml-fe-role" in f.message and "ClusterRoleBinding azureml-fe-binding" in f.message
    for kind, name in (("ClusterRole", "azureml-fe-role"), ("ClusterRoleBinding", "azureml-fe-binding")):
        c.run(lambda api, k=kind, n=name: kubeapi.delete(api, "rbac.authorization.k8s.io/v1", k, n))
    f = check(c, BOTH)
    assert f.code == "E45005" and f.message.startswith("AZUREML_FE_DEPLOYMENT_CONFLICT:")
    assert "Deployment default/azureml-fe" in f.message and "Service default/azureml-fe-int-http" in f.message
    assert verdicts(c)["pre-install"]["code"] == "E45005"
    assert check(c, {"enableTraining": "True"}) is None  # training deploys no azureml-fe


def test_volcano_ownership_then_prometheus(kube):
    c = cluster(kube)
    c.run(lambda api: seeds.apply(api, ["volcano_crds"]))
    f = check(c, BOTH)
    assert f.code == "InstallationFailed"
    assert f.message == VOLCANO_JOBS_REFUSAL
    assert "Unable to continue with update" in check(c, BOTH, operation="update").message
    assert check(c, {**BOTH, "installVolcano": "False"}) is None
    assert check(c, {"enableInference": "True", "inferenceRouterHA": "True"}) is None
    # The docs' fix when AML is the only user: label and annotate the CRDs.
    for name in ("jobs.batch.volcano.sh", "queues.scheduling.volcano.sh", "podgroups.scheduling.volcano.sh"):
        c.run(lambda api, n=name: kubeapi.request(
            api, "PATCH", kubeapi.path("apiextensions.k8s.io/v1", "CustomResourceDefinition", n),
            body={"metadata": {"labels": {"app.kubernetes.io/managed-by": "Helm"},
                               "annotations": {"meta.helm.sh/release-name": "aml",
                                               "meta.helm.sh/release-namespace": "azureml"}}},
            content_type="application/merge-patch+json"))
    assert check(c, BOTH) is None

    c.run(lambda api: seeds.apply(api, ["prometheus_operator"]))
    f = check(c, BOTH)
    assert f.code == "E45002" and f.message.startswith("PROMETHEUS_CONFLICT:")
    assert "Deployment monitoring/prometheus-operator" in f.message
    assert "CustomResourceDefinition servicemonitors.monitoring.coreos.com" in f.message
    assert check(c, {**BOTH, "installPromOp": "False"}) is None
    # Reusing it, the install creates no operator of its own and leaves the foreign CRDs as they are.
    c.run(lambda api: install.apply(api, "aml", {**BOTH, "installPromOp": "False"}, AKS))
    assert c.get("apps/v1", "Deployment", "aml-prometheus-operator", "azureml") is None
    smon = c.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", "servicemonitors.monitoring.coreos.com")
    assert "app.kubernetes.io/managed-by" not in (smon["metadata"].get("labels") or {})


def test_azureml_terminating(kube):
    c = cluster(kube)
    c.run(lambda api: seeds.apply(api, ["azureml_terminating"]))
    f = check(c, BOTH)
    assert f.code == "InstallationFailed"
    assert ('configmaps "arcml-healthcheck" is forbidden: unable to create new content in namespace azureml '
            'because it is being terminated') in f.message
    assert verdicts(c) == {}  # nothing can be written into a terminating namespace
    c.run(seeds.release_terminating)
    c.wait(lambda: c.get("v1", "Namespace", "azureml") is None, 60, "namespace azureml to go")
    assert check(c, BOTH) is None


def test_requests_above_allocatable(kube):
    c = cluster(kube, NodePool(count=1, cpu="1500m", memory="4Gi"))
    inference = {"enableInference": "True", "inferenceRouterHA": "False", "allowInsecureConnections": "True"}
    f = check(c, inference)
    assert f.code == "InsufficientResources" and f.message.startswith("pod healthcheck failed:")
    assert "request 1780m CPU and 2440Mi memory" in f.message and "1500m CPU" in f.message
    assert verdicts(c)["pre-install"]["code"] == "InsufficientResources"
    assert check(c, {"enableTraining": "True"}) is None  # 410m / 1492Mi fits
