"""Situation seeds against a real control plane: the documented objects, real CRDs, idempotence."""
from __future__ import annotations

import base64
import time

from cryptography import x509

from sandbox import seeds
from sandbox.agent import kubeapi
from sandbox.tests.agent_support import cluster, kube  # noqa: F401  (fixture)

CRD = ("apiextensions.k8s.io/v1", "CustomResourceDefinition")


def test_all_situations_write_the_documented_objects_idempotently(kube):
    c = cluster(kube)
    items = [s for s in seeds.SITUATIONS if s != "azureml_terminating"]
    first = c.run(lambda api: seeds.apply(api, items))
    gen = c.get("apps/v1", "Deployment", "prometheus-operator", "monitoring")["metadata"]["generation"]
    assert c.run(lambda api: seeds.apply(api, items)) == first
    assert c.get("apps/v1", "Deployment", "prometheus-operator", "monitoring")["metadata"]["generation"] == gen

    # legacy azureml-fe: the eight resources of the cleanup list, in `default`.
    for av, kind, name, ns in (("v1", "ServiceAccount", "azureml-fe", "default"),
                               ("rbac.authorization.k8s.io/v1", "ClusterRole", "azureml-fe-role", None),
                               ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "azureml-fe-binding", None),
                               ("v1", "Service", "azureml-fe", "default"),
                               ("v1", "Service", "azureml-fe-int-http", "default"),
                               ("apps/v1", "Deployment", "azureml-fe", "default"),
                               ("v1", "Secret", "azuremlfessl", "default"),
                               ("v1", "ConfigMap", "azuremlfeconfig", "default")):
        assert c.get(av, kind, name, ns), (kind, name)
    secret = c.get("v1", "Secret", "azuremlfessl", "default")
    x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["cert.pem"]))
    assert b"PRIVATE KEY" in base64.b64decode(secret["data"]["key.pem"])

    # Prometheus operator: CRDs served, a ServiceMonitor with the fields the docs use round-trips.
    kubelet = c.get("v1", "Service", "kubelet", "kube-system")
    assert kubelet["metadata"]["labels"]["k8s-app"] == "kubelet"
    assert "https-metrics" in [p["name"] for p in kubelet["spec"]["ports"]]
    c.run(lambda api: kubeapi.apply(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "azureml"}}))
    smon = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": {"name": "prom-kubelet", "namespace": "azureml", "labels": {"release": "aml"}},
            "spec": {"jobLabel": "k8s-app", "namespaceSelector": {"matchNames": ["kube-system"]},
                     "selector": {"matchLabels": {"k8s-app": "kubelet"}},
                     "endpoints": [{"port": "https-metrics", "scheme": "https", "path": "/metrics/cadvisor",
                                    "honorLabels": True, "bearerTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token",
                                    "tlsConfig": {"caFile": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
                                                  "insecureSkipVerify": True},
                                    "relabelings": [{"sourceLabels": ["__metrics_path__"], "targetLabel": "metrics_path"}]}]}}
    got = c.run(lambda api: kubeapi.apply(api, smon, field_manager="test"))
    assert got["spec"]["endpoints"][0]["tlsConfig"]["insecureSkipVerify"] is True
    assert got["spec"]["endpoints"][0]["relabelings"][0]["targetLabel"] == "metrics_path"

    # Volcano CRDs, owned by no Helm release.
    for name in ("jobs.batch.volcano.sh", "queues.scheduling.volcano.sh", "podgroups.scheduling.volcano.sh"):
        crd = c.get(*CRD, name)
        assert kubeapi.crd_established(crd)
        assert "app.kubernetes.io/managed-by" not in (crd["metadata"].get("labels") or {})
        assert not any(k.startswith("meta.helm.sh/") for k in (crd["metadata"].get("annotations") or {}))
    assert c.get(*CRD, "queues.scheduling.volcano.sh")["spec"]["scope"] == "Cluster"

    # dcgm-exporter in gpu-operator, with the labels the reuse Service selects on.
    ds = c.get("apps/v1", "DaemonSet", "dcgm-exporter", "gpu-operator")
    assert ds["spec"]["template"]["metadata"]["labels"] == {"app.kubernetes.io/name": "dcgm-exporter",
                                                            "app.kubernetes.io/instance": "gpu-operator"}

    # OpenShift: the privileged SCC, cluster-scoped; a grant to its users survives a re-seed.
    scc = c.get("security.openshift.io/v1", "SecurityContextConstraints", "privileged")
    assert scc["allowPrivilegedContainer"] is True and "system:admin" in scc["users"]
    assert "namespace" not in scc["metadata"]
    user = "system:serviceaccount:azureml:azureml-fe-v2"
    c.run(lambda api: kubeapi.request(api, "PATCH", kubeapi.obj_path(scc), body={"users": scc["users"] + [user]},
                                      content_type="application/merge-patch+json"))
    c.run(lambda api: seeds.apply(api, ["openshift"]))
    assert user in c.get("security.openshift.io/v1", "SecurityContextConstraints", "privileged")["users"]


def test_options_place_objects(kube):
    c = cluster(kube)
    c.run(lambda api: seeds.apply(api, [{"name": "legacy_azureml_fe", "namespace": "legacy"},
                                        {"name": "dcgm_exporter", "namespace": "nvidia", "instance": "dcgm"},
                                        {"name": "prometheus_operator", "namespace": "obs"}]))
    assert c.get("apps/v1", "Deployment", "azureml-fe", "legacy")
    assert c.get("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "azureml-fe-binding")["subjects"][0]["namespace"] == "legacy"
    assert c.get("apps/v1", "DaemonSet", "dcgm-exporter", "nvidia")["metadata"]["labels"]["app.kubernetes.io/instance"] == "dcgm"
    assert c.get("apps/v1", "Deployment", "prometheus-operator", "obs")


def test_azureml_terminating_stays_until_released(kube):
    c = cluster(kube)
    c.run(lambda api: seeds.apply(api, ["azureml_terminating"]))
    time.sleep(3)
    ns = c.get("v1", "Namespace", "azureml")
    assert ns["status"]["phase"] == "Terminating"
    c.wait(lambda: any(k["type"] == "NamespaceFinalizersRemaining" and k["status"] == "True"
                       for k in (c.get("v1", "Namespace", "azureml")["status"].get("conditions") or [])),
           30, "the namespace controller to report the finalizer")
    c.run(lambda api: seeds.apply(api, ["azureml_terminating"]))  # idempotent: still the same namespace
    assert c.get("v1", "Namespace", "azureml")["metadata"]["uid"] == ns["metadata"]["uid"]
    c.run(lambda api: seeds.release_terminating(api))
    c.wait(lambda: c.get("v1", "Namespace", "azureml") is None, 60, "namespace azureml to go")
