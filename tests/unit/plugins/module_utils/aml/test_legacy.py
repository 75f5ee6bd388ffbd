# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import base64

import yaml

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import legacy as lg

NS = "default"


def test_the_documented_eight_in_one_place():
    assert [(r.kind, r.name) for r in lg.RESOURCES] == [
        ("ServiceAccount", "azureml-fe"), ("ClusterRole", "azureml-fe-role"), ("ClusterRoleBinding", "azureml-fe-binding"),
        ("ConfigMap", "azuremlfeconfig"), ("Secret", "azuremlfessl"), ("Service", "azureml-fe"),
        ("Service", "azureml-fe-int-http"), ("Deployment", "azureml-fe")]
    assert {r.name for r in lg.RESOURCES if not r.namespaced} == {"azureml-fe-role", "azureml-fe-binding"}
    assert lg.DELETE_ORDER[0].kind == "Deployment" and lg.DELETE_ORDER[-1].kind == "ServiceAccount"


def test_ref_never_carries_data_and_names_cluster_scope():
    role = next(r for r in lg.RESOURCES if r.kind == "ClusterRole")
    assert lg.ref(role, NS) == {"kind": "ClusterRole", "api_version": "rbac.authorization.k8s.io/v1",
                                "name": "azureml-fe-role", "namespace": None}
    assert lg.label(role, NS) == "ClusterRole azureml-fe-role"
    assert lg.label(lg.DEPLOYMENT, "ns1") == "Deployment ns1/azureml-fe"


def _slice(service, *endpoints):
    return {"metadata": {"labels": {lg.SERVICE_NAME_LABEL: service}}, "endpoints": list(endpoints)}


def test_ready_endpoints_reads_conditions_as_the_api_asks():
    slices = [_slice("azureml-fe", {"addresses": ["10.0.0.1"], "conditions": {"ready": True}},
                     {"addresses": ["10.0.0.2"], "conditions": {"ready": False}},
                     {"addresses": ["10.0.0.3"]},  # unknown counts as ready
                     {"addresses": ["10.0.0.4"], "conditions": {"ready": True, "terminating": True}}),
              _slice("other", {"addresses": ["10.0.0.9"]})]
    assert lg.ready_endpoints(slices, "azureml-fe") == 2
    assert lg.ready_endpoints(slices, "azureml-fe-int-http") == 0


def test_serving_signs():
    dep = {"metadata": {"name": "azureml-fe"}, "status": {"readyReplicas": 2}}
    svc = {"metadata": {"name": "azureml-fe"}}
    found = {lg.label(lg.DEPLOYMENT, NS): dep, lg.label(lg.SERVICES[0], NS): svc}
    reasons = lg.serving(found, [_slice("azureml-fe", {"addresses": ["10.0.0.1"]})], NS)
    assert reasons == ["Deployment default/azureml-fe has 2 ready replica(s)",
                       "Service default/azureml-fe has 1 ready endpoint(s)"]
    idle = {lg.label(lg.DEPLOYMENT, NS): {"status": {"replicas": 0}}, lg.label(lg.SERVICES[0], NS): svc}
    assert lg.serving(idle, [_slice("azureml-fe", {"addresses": ["1.1.1.1"], "conditions": {"ready": False}})], NS) == []
    # A Service's slices count only when the Service itself is there.
    assert lg.serving({}, [_slice("azureml-fe", {"addresses": ["10.0.0.1"]})], NS) == []


SERVICE = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "azureml-fe", "namespace": NS, "uid": "u", "resourceVersion": "9", "generation": 1,
                 "creationTimestamp": "2026-01-01T00:00:00Z", "managedFields": [{}], "labels": {"app": "azureml-fe"},
                 "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "keep": "me"},
                 "ownerReferences": [{"uid": "x"}], "finalizers": ["service.kubernetes.io/load-balancer-cleanup"]},
    "spec": {"type": "LoadBalancer", "clusterIP": "10.0.0.5", "clusterIPs": ["10.0.0.5"],
             "ports": [{"name": "http", "port": 80, "nodePort": 30080}]},
    "status": {"loadBalancer": {}},
}


def test_restorable_strips_what_the_server_set():
    svc = next(r for r in lg.RESOURCES if r.kind == "Service")
    out = lg.restorable(SERVICE, svc)
    assert out == {"apiVersion": "v1", "kind": "Service",
                   "metadata": {"name": "azureml-fe", "namespace": NS, "labels": {"app": "azureml-fe"},
                                "annotations": {"keep": "me"}},
                   "spec": {"type": "LoadBalancer", "ports": [{"name": "http", "port": 80, "nodePort": 30080}]}}
    assert SERVICE["metadata"]["uid"] == "u"  # the input is left alone
    headless = dict(SERVICE, spec={"clusterIP": "None", "clusterIPs": ["None"]})
    assert lg.restorable(headless, svc)["spec"]["clusterIP"] == "None"


def test_restorable_cluster_scoped_and_deployment():
    role = next(r for r in lg.RESOURCES if r.kind == "ClusterRole")
    out = lg.restorable({"metadata": {"name": "azureml-fe-role", "namespace": "", "uid": "1"}, "rules": []}, role)
    assert out == {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "metadata": {"name": "azureml-fe-role"}, "rules": []}
    dep = lg.restorable({"metadata": {"name": "azureml-fe", "namespace": NS,
                                      "annotations": {"deployment.kubernetes.io/revision": "3"}},
                         "spec": {"template": {"metadata": {"creationTimestamp": None, "labels": {"a": "b"}}}},
                         "status": {"readyReplicas": 1}}, lg.DEPLOYMENT)
    assert dep["metadata"] == {"name": "azureml-fe", "namespace": NS}
    assert dep["spec"]["template"]["metadata"] == {"labels": {"a": "b"}} and "status" not in dep
    sa = next(r for r in lg.RESOURCES if r.kind == "ServiceAccount")
    assert "secrets" not in lg.restorable({"metadata": {"name": "azureml-fe"}, "secrets": [{"name": "t"}]}, sa)


def test_secret_values_cover_base64_and_decoded_lines():
    pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"
    encoded = base64.b64encode(pem.encode()).decode()
    values = lg.secret_values({"data": {"key.pem": encoded, "short": "YQ=="}})
    assert encoded in values and "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg" in values
    assert "YQ==" not in values


def test_backup_text_is_multi_document_yaml_with_restore_hint():
    docs = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}},
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}}]
    text = lg.backup_text(docs, cluster="c1", namespace=NS, taken="2026-12-01T00:00:00Z", context="c1")
    assert text.startswith("# The azureml-fe v1 resources of cluster c1")
    assert "kubectl --context c1 apply -f" in text
    assert list(yaml.safe_load_all(text)) == docs
