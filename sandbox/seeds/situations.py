"""The documented situations a cluster may be seeded with, each written to a real API server.

Every ``apply(api, **options)`` is idempotent (server-side apply, field manager ``sandbox-seed``) and
creates nothing Helm would recognise as its own: no ``app.kubernetes.io/managed-by: Helm`` label, no
``meta.helm.sh/*`` annotations, except where a situation names a Helm instance on purpose.
"""
from __future__ import annotations

import base64
from typing import Any, Optional

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from sandbox import pki
from sandbox.agent import kubeapi
from sandbox.seeds import crds

MANAGER = "sandbox-seed"
HOLD_FINALIZER = "sandbox.azureml.kubernetes/hold"


def _apply(api: ApiClient, obj: dict[str, Any]) -> dict[str, Any]:
    return kubeapi.apply(api, obj, field_manager=MANAGER)


def _namespace(api: ApiClient, name: str) -> None:
    if kubeapi.get(api, "v1", "Namespace", name) is None:
        _apply(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def _crds(api: ApiClient, group: str) -> list[str]:
    names = []
    for crd in crds.load(group):
        _apply(api, crd)
        names.append(crd["metadata"]["name"])
    kubeapi.wait_crds_established(api, names)
    return names


def _deployment(name: str, namespace: str, labels: dict[str, str], image: str,
                service_account: Optional[str] = None, kind: str = "Deployment",
                tolerations: Optional[list[dict[str, str]]] = None) -> dict[str, Any]:
    pod: dict[str, Any] = {"containers": [{"name": name, "image": image}], "terminationGracePeriodSeconds": 5}
    if service_account:
        pod["serviceAccountName"] = service_account
    if tolerations:
        pod["tolerations"] = tolerations
    spec: dict[str, Any] = {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": pod}}
    if kind == "Deployment":
        spec["replicas"] = 1
    return {"apiVersion": "apps/v1", "kind": kind,
            "metadata": {"name": name, "namespace": namespace, "labels": labels}, "spec": spec}


def legacy_azureml_fe(api: ApiClient, namespace: str = "default") -> list[str]:
    """The eight azureml-fe v1 resources of the legacy-cleanup list (docs §1), in ``namespace``."""
    _namespace(api, namespace)
    labels = {"app": "azureml-fe", "isazuremlapp": "true"}
    cert, key = pki.self_signed("azureml-fe.example.com")  # as the v1 azureml-fe kept it in azuremlfessl
    objs = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "azureml-fe", "namespace": namespace, "labels": labels}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": "azureml-fe-role", "labels": labels},
         "rules": [{"apiGroups": [""], "resources": ["pods", "services", "endpoints", "configmaps"],
                    "verbs": ["get", "list", "watch"]},
                   {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "azureml-fe-binding", "labels": labels},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "azureml-fe-role"},
         "subjects": [{"kind": "ServiceAccount", "name": "azureml-fe", "namespace": namespace}]},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "azureml-fe", "namespace": namespace, "labels": labels},
         "spec": {"type": "LoadBalancer", "selector": labels,
                  "ports": [{"name": "http", "port": 80, "targetPort": 9001, "protocol": "TCP"},
                            {"name": "https", "port": 443, "targetPort": 9443, "protocol": "TCP"}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "azureml-fe-int-http", "namespace": namespace, "labels": labels},
         "spec": {"type": "ClusterIP", "selector": labels,
                  "ports": [{"name": "http", "port": 9001, "targetPort": 9001, "protocol": "TCP"}]}},
        _deployment("azureml-fe", namespace, labels, "mcr.microsoft.com/azureml/azureml-fe:v1", "azureml-fe"),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "azuremlfeconfig", "namespace": namespace, "labels": labels},
         "data": {"azuremlfeconfig.json": '{"servicePort": 9001, "sslEnabled": true}'}},
    ]
    for obj in objs:
        _apply(api, obj)
    # The certificate is generated once: an existing Secret is kept as it is.
    kubeapi.create_if_absent(api, {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "azuremlfessl", "namespace": namespace, "labels": labels},
        "data": {"cert.pem": base64.b64encode(cert).decode(), "key.pem": base64.b64encode(key).decode()}})
    return [f"{o['kind']}/{o['metadata']['name']}" for o in objs] + ["Secret/azuremlfessl"]


def prometheus_operator(api: ApiClient, namespace: str = "monitoring",
                        kubelet_namespace: str = "kube-system") -> list[str]:
    """A Prometheus operator someone else installed: its CRDs, its Deployment and its kubelet Service."""
    names = _crds(api, crds.MONITORING)
    _namespace(api, namespace)
    labels = {"app.kubernetes.io/name": "prometheus-operator", "app.kubernetes.io/component": "controller"}
    _apply(api, {"apiVersion": "v1", "kind": "ServiceAccount",
                 "metadata": {"name": "prometheus-operator", "namespace": namespace, "labels": labels}})
    dep = _deployment("prometheus-operator", namespace, labels, "quay.io/prometheus-operator/prometheus-operator:v0.76.0",
                      "prometheus-operator")
    dep["spec"]["template"]["spec"]["containers"][0]["args"] = [
        f"--kubelet-service={kubelet_namespace}/kubelet", "--namespaces="]
    _apply(api, dep)
    # The operator's kubelet Service: headless, no selector (the operator keeps its endpoints).
    _apply(api, {"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": "kubelet", "namespace": kubelet_namespace,
                              "labels": {"k8s-app": "kubelet", "app.kubernetes.io/name": "kubelet",
                                         "app.kubernetes.io/managed-by": "prometheus-operator"}},
                 "spec": {"clusterIP": "None",
                          "ports": [{"name": "https-metrics", "port": 10250, "targetPort": 10250, "protocol": "TCP"},
                                    {"name": "http-metrics", "port": 10255, "targetPort": 10255, "protocol": "TCP"},
                                    {"name": "cadvisor", "port": 4194, "targetPort": 4194, "protocol": "TCP"}]}})
    return [f"CustomResourceDefinition/{n}" for n in names] + [
        f"Deployment/{namespace}/prometheus-operator", f"Service/{kubelet_namespace}/kubelet"]


def volcano_crds(api: ApiClient) -> list[str]:
    """Volcano CRDs left by an earlier install or another Volcano, owned by no Helm release."""
    return [f"CustomResourceDefinition/{n}" for n in _crds(api, crds.VOLCANO)]


def dcgm_exporter(api: ApiClient, namespace: str = "gpu-operator", instance: str = "gpu-operator") -> list[str]:
    """An existing NVIDIA dcgm-exporter DaemonSet (as the gpu-operator or dcgm-exporter chart makes it)."""
    _namespace(api, namespace)
    labels = {"app.kubernetes.io/name": "dcgm-exporter", "app.kubernetes.io/instance": instance}
    ds = _deployment("dcgm-exporter", namespace, labels, "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.5-3.4.0-ubuntu22.04",
                     kind="DaemonSet", tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}])
    ds["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"name": "metrics", "containerPort": 9400}]
    _apply(api, ds)
    return [f"DaemonSet/{namespace}/dcgm-exporter"]


PRIVILEGED_SCC: dict[str, Any] = {
    "apiVersion": "security.openshift.io/v1", "kind": "SecurityContextConstraints",
    "metadata": {"name": "privileged",
                 "annotations": {"kubernetes.io/description": "privileged allows access to all privileged and host "
                                 "features and the ability to run as any user, any group, any fsGroup, and with any "
                                 "SELinux context."}},
    "priority": None,
    "allowPrivilegedContainer": True, "allowPrivilegeEscalation": True, "allowHostDirVolumePlugin": True,
    "allowHostIPC": True, "allowHostNetwork": True, "allowHostPID": True, "allowHostPorts": True,
    "readOnlyRootFilesystem": False,
    "allowedCapabilities": ["*"], "allowedUnsafeSysctls": ["*"], "defaultAddCapabilities": None,
    "requiredDropCapabilities": None,
    "fsGroup": {"type": "RunAsAny"}, "runAsUser": {"type": "RunAsAny"}, "seLinuxContext": {"type": "RunAsAny"},
    "supplementalGroups": {"type": "RunAsAny"}, "seccompProfiles": ["*"], "volumes": ["*"],
    "users": ["system:admin", "system:serviceaccount:openshift-infra:build-controller"],
    "groups": ["system:cluster-admins", "system:nodes", "system:masters"],
}


def openshift(api: ApiClient) -> list[str]:
    """An OpenShift cluster's SecurityContextConstraints CRD and its ``privileged`` SCC.

    The SCC is created once and then left alone, so the users a test (or the collection) grants survive
    a re-seed.
    """
    names = _crds(api, crds.OPENSHIFT)
    scc = {k: v for k, v in PRIVILEGED_SCC.items() if v is not None}
    kubeapi.create_if_absent(api, scc)
    return [f"CustomResourceDefinition/{n}" for n in names] + ["SecurityContextConstraints/privileged"]


def azureml_terminating(api: ApiClient, namespace: str = "azureml") -> list[str]:
    """Namespace ``azureml`` stuck Terminating: a ConfigMap in it holds a finalizer nobody removes.

    The real namespace controller empties the namespace and keeps it Terminating (condition
    NamespaceFinalizersRemaining) until ``release_terminating()`` drops the finalizer.
    """
    ns = kubeapi.get(api, "v1", "Namespace", namespace)
    if not kubeapi.is_terminating(ns):
        _namespace(api, namespace)
        _apply(api, {"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": "sandbox-uninstall-leftover", "namespace": namespace,
                                  "finalizers": [HOLD_FINALIZER]},
                     "data": {"why": "an earlier uninstall has not finished"}})
        kubeapi.delete(api, "v1", "Namespace", namespace)
    return [f"Namespace/{namespace}", f"ConfigMap/{namespace}/sandbox-uninstall-leftover"]


def release_terminating(api: ApiClient, namespace: str = "azureml") -> None:
    """Let a namespace seeded by ``azureml_terminating`` finish deleting (drop the finalizer)."""
    try:
        kubeapi.request(api, "PATCH", kubeapi.path("v1", "ConfigMap", "sandbox-uninstall-leftover", namespace),
                        body={"metadata": {"finalizers": None}}, content_type="application/merge-patch+json")
    except ApiException as e:
        if e.status != 404:
            raise
