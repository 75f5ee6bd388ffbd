"""The extension's health check, read from the real cluster before an operation ends.

``check()`` returns the first ``Failure`` (or None) and records the verdict in ConfigMap
``arcml-healthcheck`` in ``azureml``, one key per phase (``pre-install``, ``pre-upgrade``,
``pre-delete``) holding JSON ``{"status": "passed"|"failed", "code", "message", "time"}``, as the
troubleshooting page says to read it. The checks, in the order they run:

| cause | code | text from |
|---|---|---|
| namespace ``azureml`` Terminating | InstallationFailed | the API server's own refusal ("... because it is being terminated") |
| a rendered object exists, not owned by the release (e.g. Volcano CRDs) | InstallationFailed | Helm's "invalid ownership metadata" |
| ClusterRole ``azureml-fe-role`` / ClusterRoleBinding ``azureml-fe-binding`` (inference) | E45004 | AZUREML_FE_ROLE_CONFLICT |
| Deployment or Service ``azureml-fe`` / ``azureml-fe-int-http`` outside the release (inference) | E45005 | AZUREML_FE_DEPLOYMENT_CONFLICT |
| ``internalLoadBalancerProvider`` on connectedClusters | E40003 | internal load balancer is AKS-only |
| inference, ``inferenceRouterHA`` not false, < 3 Ready schedulable nodes | E40002 | INSUFFICIENT_NODE |
| a Prometheus operator (Deployment, or monitoring.coreos.com CRDs no Helm release made), installPromOp on | E45002 | PROMETHEUS_CONFLICT |
| documented requests above the eligible nodes' free allocatable CPU or memory | InsufficientResources | the sandbox's (no doc entry): "pod healthcheck failed: ..." |

The real failures a Helm install reports before its hooks run (ownership, a terminating namespace)
have no health-check code; the extension resource shows them as ``InstallationFailed`` with Helm's text,
and the docs key them by that text. Insufficient resources have no doc entry either: the real atomic
install fails with "pod healthcheck failed" once the pods stay Pending; the sandbox says so at once,
with the figures of the cluster reference's resource planning.

Nodes that count: Ready, not cordoned, matching every ``nodeSelector.*`` setting, and without a
NoSchedule/NoExecute taint the extension's Deployments do not tolerate (AML taints only). A Ready node's
``node.kubernetes.io/not-ready`` taint is ignored: on a fresh cluster the node lifecycle controller lifts
it within seconds, and the pods of an install then schedule.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from kubernetes.utils import parse_quantity

from sandbox.agent import components as comp
from sandbox.agent import helm, install, kubeapi
from sandbox.seeds import crds

NAMESPACE = helm.NAMESPACE
PHASES = {"install": "pre-install", "create": "pre-install", "update": "pre-upgrade", "upgrade": "pre-upgrade",
          "delete": "pre-delete", "rollback": "pre-rollback"}

INSTALLATION_FAILED = "InstallationFailed"
TRANSIENT_NOT_READY = "node.kubernetes.io/not-ready"
INSUFFICIENT_RESOURCES = "InsufficientResources"

LEGACY_FE_ROLES = (("rbac.authorization.k8s.io/v1", "ClusterRole", "azureml-fe-role"),
                   ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "azureml-fe-binding"))
LEGACY_FE_WORKLOADS = (("apps/v1", "Deployment", "azureml-fe"), ("v1", "Service", "azureml-fe"),
                       ("v1", "Service", "azureml-fe-int-http"))
LEGACY_FE_ALL = ("ServiceAccount azureml-fe, ClusterRole azureml-fe-role, ClusterRoleBinding azureml-fe-binding, "
                 "Services azureml-fe and azureml-fe-int-http, Deployment azureml-fe, Secret azuremlfessl, "
                 "ConfigMap azuremlfeconfig")


@dataclass(frozen=True)
class Failure:
    code: str
    message: str


# ---- pure decisions -------------------------------------------------------------------------------

def node_ready(node: Mapping[str, Any]) -> bool:
    conds = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)


def _tolerated(taint: Mapping[str, Any], tolerations: list[dict[str, str]]) -> bool:
    for t in tolerations:
        if t.get("key") != taint.get("key"):
            continue
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        if t.get("operator") == "Exists" or t.get("value") == taint.get("value"):
            return True
    return False


def eligible(node: Mapping[str, Any], node_selector: Mapping[str, str], kind: str = "Deployment") -> bool:
    """Whether the scheduler may put an extension pod of ``kind`` on ``node``."""
    if not node_ready(node) or (node.get("spec") or {}).get("unschedulable"):
        return False
    labels = (node.get("metadata") or {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in node_selector.items()):
        return False
    tols = install.tolerations(kind)
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("key") == TRANSIENT_NOT_READY:
            continue  # the node is Ready: the node lifecycle controller is about to lift this taint
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerated(taint, tols):
            return False
    return True


def _millicores(q: Any) -> int:
    return int(parse_quantity(q) * 1000)


def _mebibytes(q: Any) -> int:
    return int(parse_quantity(q) / (1024 * 1024))


def pod_requests(pod: Mapping[str, Any]) -> tuple[int, int]:
    """(millicores, Mi) a pod takes from its node: its containers' requests (init containers ignored)."""
    cpu = mem = 0
    for c in (pod.get("spec") or {}).get("containers") or []:
        req = (c.get("resources") or {}).get("requests") or {}
        cpu += _millicores(req.get("cpu", 0))
        mem += _mebibytes(req.get("memory", 0))
    return cpu, mem


def capacity_failure(items: list[comp.Expected], nodes: list[Mapping[str, Any]], pods: list[Mapping[str, Any]],
                     node_selector: Mapping[str, str]) -> Optional[Failure]:
    """The resource planning of the cluster reference, against the nodes' free allocatable.

    Need: every documented request, a DaemonSet's once per eligible node. Have: the eligible nodes'
    allocatable less what pods outside ``azureml`` already request there. Also: the largest single pod
    must fit on one node.
    """
    free: dict[str, list[int]] = {}
    for n in nodes:
        if eligible(n, node_selector):
            alloc = (n.get("status") or {}).get("allocatable") or {}
            free[n["metadata"]["name"]] = [_millicores(alloc.get("cpu", 0)), _mebibytes(alloc.get("memory", 0))]
    for p in pods:
        node = (p.get("spec") or {}).get("nodeName")
        phase = (p.get("status") or {}).get("phase")
        if node in free and p["metadata"].get("namespace") != NAMESPACE and phase not in ("Succeeded", "Failed"):
            cpu, mem = pod_requests(p)
            free[node][0] -= cpu
            free[node][1] -= mem
    need_cpu, need_mem = comp.totals(items, len(free))
    have_cpu = sum(max(f[0], 0) for f in free.values())
    have_mem = sum(max(f[1], 0) for f in free.values())
    where = (f"the {len(free)} node(s) the extension may use have {have_cpu}m CPU and {have_mem}Mi memory "
             f"allocatable and free")
    if need_cpu > have_cpu or need_mem > have_mem:
        return Failure(INSUFFICIENT_RESOURCES,
                       f"pod healthcheck failed: the extension's components request {need_cpu}m CPU and "
                       f"{need_mem}Mi memory (the cluster reference's resource planning for these settings), "
                       f"but {where}; its pods would stay Pending. Add nodes or larger nodes (test clusters are "
                       f"sized on requests, production clusters on limits), or turn components off.")
    for e in items:
        c = e.component
        if c.cpu is None or c.per_node:
            continue
        if not any(f[0] >= c.cpu[0] and f[1] >= c.memory[0] for f in free.values()):
            return Failure(INSUFFICIENT_RESOURCES,
                           f"pod healthcheck failed: no node has room for a pod of {e.name}, which requests "
                           f"{c.cpu[0]}m CPU and {c.memory[0]}Mi memory; {where}, spread over nodes too small for "
                           f"it. Use larger nodes.")
    return None


def _release_owned(obj: Mapping[str, Any], extension_name: str) -> bool:
    meta = obj.get("metadata") or {}
    return meta.get("namespace") == NAMESPACE and helm.owned_by(dict(obj), extension_name)


# ---- reading the cluster ---------------------------------------------------------------------------

def _terminating(api: ApiClient) -> Optional[Failure]:
    if not kubeapi.is_terminating(kubeapi.get(api, "v1", "Namespace", NAMESPACE)):
        return None
    probe = {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": install.HEALTHCHECK_CONFIGMAP, "namespace": NAMESPACE}}
    try:
        kubeapi.request(api, "POST", kubeapi.path("v1", "ConfigMap", None, NAMESPACE), body=probe,
                        query=[("dryRun", "All")])
        refusal = f"namespace {NAMESPACE} is being terminated"
    except ApiException as e:
        refusal = kubeapi.error_message(e)
    return Failure(INSTALLATION_FAILED,
                   f"{refusal}. The uninstall of an earlier extension has not finished: wait until namespace "
                   f"{NAMESPACE} is gone (kubectl get namespace {NAMESPACE}), then retry.")


def _ownership(api: ApiClient, extension_name: str, settings: Mapping[str, Any], cluster_type: str,
               operation: str) -> Optional[Failure]:
    for obj in install.render(extension_name, settings, cluster_type):
        meta = obj["metadata"]
        if obj["kind"] == "ConfigMap" and meta["name"] == install.HEALTHCHECK_CONFIGMAP:
            continue  # the health-check hook's own output, not a templated object
        existing = kubeapi.get(api, obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
        if existing is None:
            continue
        existing.setdefault("kind", obj["kind"])
        msg = helm.conflict_message(existing, extension_name, operation)
        if msg:
            return Failure(INSTALLATION_FAILED, msg)
    return None


def _legacy_fe(api: ApiClient, extension_name: str) -> Optional[Failure]:
    roles = [f"{kind} {name}" for av, kind, name in LEGACY_FE_ROLES if kubeapi.get(api, av, kind, name)]
    if roles:
        return Failure("E45004",
                       f"AZUREML_FE_ROLE_CONFLICT: the legacy azureml-fe (v1) {' and '.join(roles)} exist in the "
                       f"cluster. If no v1 service is active, delete the azureml-fe related resources "
                       f"({LEGACY_FE_ALL}), then retry.")
    found = []
    for av, kind, name in LEGACY_FE_WORKLOADS:
        for obj in kubeapi.list_(api, av, kind, field_selector=f"metadata.name={name}"):
            if not _release_owned(obj, extension_name):
                found.append(f"{kind} {obj['metadata'].get('namespace')}/{name}")
    if found:
        return Failure("E45005",
                       f"AZUREML_FE_DEPLOYMENT_CONFLICT: the legacy azureml-fe (v1) {', '.join(found)} exist in the "
                       f"cluster. If no v1 service is active, delete the azureml-fe related resources "
                       f"({LEGACY_FE_ALL}), then retry.")
    return None


def _prometheus(api: ApiClient, extension_name: str) -> Optional[Failure]:
    found = []
    for d in kubeapi.list_(api, "apps/v1", "Deployment"):
        meta = d["metadata"]
        labels = meta.get("labels") or {}
        is_operator = (labels.get("app.kubernetes.io/name") == "prometheus-operator"
                       or labels.get("app") == "prometheus-operator"
                       or meta["name"] == "prometheus-operator" or meta["name"].endswith("-prometheus-operator"))
        if is_operator and not _release_owned(d, extension_name):
            found.append(f"Deployment {meta.get('namespace')}/{meta['name']}")
    for name in crds.names(crds.MONITORING):
        crd = kubeapi.get(api, "apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
        if crd and ((crd["metadata"].get("labels") or {}).get(helm.MANAGED_BY) != "Helm"):
            found.append(f"CustomResourceDefinition {name}")
    if not found:
        return None
    return Failure("E45002",
                   f"PROMETHEUS_CONFLICT: a Prometheus operator is already installed ({', '.join(found)}). "
                   f"Set installPromOp=False to reuse it: it must watch namespace {NAMESPACE}, its kubelet service "
                   f"must be enabled and labelled k8s-app=kubelet, and ServiceMonitor prom-kubelet in {NAMESPACE} "
                   f"with release={extension_name} must scrape port https-metrics over https at /metrics/cadvisor.")


def _nodes_and_pods(api: ApiClient) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return kubeapi.list_(api, "v1", "Node"), kubeapi.list_(api, "v1", "Pod")


def evaluate(api: ApiClient, extension_name: str, settings: Mapping[str, Any], cluster_type: str,
             operation: str) -> Optional[Failure]:
    """The first failing check for this operation on this cluster, without recording it."""
    if PHASES.get(operation, operation) == "pre-delete":
        return None
    failure = _terminating(api) or _ownership(api, extension_name, settings, cluster_type, operation)
    if failure:
        return failure
    inference = comp.INFERENCE in comp.workloads(settings)
    if inference:
        failure = _legacy_fe(api, extension_name)
        if failure:
            return failure
    if cluster_type != comp.AKS and str(settings.get("internalLoadBalancerProvider") or "") != "":
        return Failure("E40003", "internalLoadBalancerProvider is only supported on AKS (managedClusters); "
                                 "remove it for an Arc-enabled cluster.")
    nodes, pods = _nodes_and_pods(api)
    selector = comp.node_selector(settings)
    if inference and comp.router_ha(settings):
        usable = [n for n in nodes if eligible(n, selector)]
        if len(usable) < 3:
            return Failure("E40002",
                           f"INSUFFICIENT_NODE: inferenceRouterHA is enabled (the default) and needs at least 3 "
                           f"nodes; the cluster has {len(usable)} Ready, schedulable node(s) the extension may use. "
                           f"Set inferenceRouterHA=False or add nodes.")
    if comp.workloads(settings) and comp.setting_on(settings, "installPromOp"):
        failure = _prometheus(api, extension_name)
        if failure:
            return failure
    return capacity_failure(comp.expected(extension_name, settings, cluster_type), nodes, pods, selector)


def record(api: ApiClient, extension_name: str, operation: str, failure: Optional[Failure]) -> bool:
    """Write the verdict into ``arcml-healthcheck``; False when ``azureml`` cannot take it (Terminating)."""
    ns = kubeapi.get(api, "v1", "Namespace", NAMESPACE)
    if kubeapi.is_terminating(ns):
        return False
    phase = PHASES.get(operation, operation)
    if ns is None:
        if phase == "pre-delete":
            return False
        install.ensure_namespace(api)
    verdict = {"status": "failed" if failure else "passed", "code": failure.code if failure else "",
               "message": failure.message if failure else "", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": install.HEALTHCHECK_CONFIGMAP, "namespace": NAMESPACE,
                       "labels": helm.labels(extension_name), "annotations": helm.annotations(extension_name)},
          "data": {phase: json.dumps(verdict, sort_keys=True)}}
    kubeapi.apply(api, cm, field_manager=f"healthcheck-{phase}")
    return True


def check(api: ApiClient, extension_name: str, settings: Mapping[str, Any], cluster_type: str,
          operation: str) -> Optional[Failure]:
    """Run the health check for ``operation`` (install, update or delete) and record its verdict."""
    failure = evaluate(api, extension_name, settings, cluster_type, operation)
    record(api, extension_name, operation, failure)
    return failure


def read(api: ApiClient) -> dict[str, dict[str, Any]]:
    """The recorded verdicts, by phase ({} when there are none)."""
    cm = kubeapi.get(api, "v1", "ConfigMap", install.HEALTHCHECK_CONFIGMAP, NAMESPACE)
    out = {}
    for phase, text in ((cm or {}).get("data") or {}).items():
        try:
            out[phase] = json.loads(text)
        except ValueError:
            out[phase] = {"status": "unknown", "message": text}
    return out
