"""What the extension's Helm chart creates in a cluster, written to a real API server.

``render()`` is pure: the objects for an extension name, its settings and the cluster type.
``apply()`` writes them with server-side apply (field manager ``helm``) and removes what an earlier
apply of the same release created but these settings no longer need; ``delete()`` removes the release
and the namespace. The real controllers, scheduler and kwok then turn the workloads into pods, Running
or Pending as the nodes allow.

Like Helm, the Prometheus operator's CRDs are the chart's ``crds/`` directory: created when absent
(labelled with the release that created them), never updated, never removed. The Volcano and
InstanceType CRDs are templates: owned by the release, ownership-checked, removed with it.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from kubernetes.client import ApiClient

from sandbox.agent import components as comp
from sandbox.agent import helm, kubeapi
from sandbox.seeds import crds

NAMESPACE = helm.NAMESPACE
HEALTHCHECK_CONFIGMAP = "arcml-healthcheck"
ROUTER_SERVICE = "azureml-fe"
IMAGE_REGISTRY = "mcr.microsoft.com/azureml/amlarc/docker"

AML_TOLERATIONS = [{"key": "ml.azure.com/amlarc", "operator": "Exists"},
                   {"key": "ml.azure.com/amlarc-system", "operator": "Exists"}]
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}

# What apply() may prune and delete() removes: (apiVersion, kind, namespaced).
RELEASE_KINDS = (
    ("apps/v1", "Deployment", True),
    ("apps/v1", "DaemonSet", True),
    ("apps/v1", "StatefulSet", True),
    ("v1", "Service", True),
    ("v1", "ServiceAccount", True),
    ("v1", "ConfigMap", True),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition", False),
)


def _meta(name: str, extension_name: str, version: Optional[str], namespaced: bool = True,
          extra_labels: Optional[dict[str, str]] = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {**helm.labels(extension_name, version), **(extra_labels or {})},
                            "annotations": helm.annotations(extension_name)}
    if namespaced:
        meta["namespace"] = NAMESPACE
    return meta


def _resources(c: comp.Component) -> dict[str, Any]:
    if c.cpu is None:
        return {}
    return {"requests": {"cpu": f"{c.cpu[0]}m", "memory": f"{c.memory[0]}Mi"},
            "limits": {"cpu": f"{c.cpu[1]}m", "memory": f"{c.memory[1]}Mi"}}


def tolerations(kind: str) -> list[dict[str, str]]:
    """The AML taints every extension pod tolerates; DaemonSets also run on nvidia.com/gpu nodes."""
    extra = [GPU_TOLERATION] if kind == "DaemonSet" else []
    return [dict(t) for t in AML_TOLERATIONS] + extra


def pod_labels(name: str, extension_name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, helm.INSTANCE: extension_name}


def _workload(e: comp.Expected, extension_name: str, settings: Mapping[str, Any],
              version: Optional[str]) -> dict[str, Any]:
    c = e.component
    selector = pod_labels(e.name, extension_name)
    short = c.name.replace(comp.EXT + "-", "")
    container: dict[str, Any] = {"name": short, "image": f"{IMAGE_REGISTRY}/{short}:{version or helm.DEFAULT_VERSION}"}
    if _resources(c):
        container["resources"] = _resources(c)
    pod_spec: dict[str, Any] = {
        "serviceAccountName": c.service_account.replace(comp.EXT, extension_name),
        "containers": [container],
        "tolerations": tolerations(c.kind),
        "terminationGracePeriodSeconds": 5,
    }
    node_selector = comp.node_selector(settings)
    if node_selector:
        pod_spec["nodeSelector"] = node_selector
    spec: dict[str, Any] = {"selector": {"matchLabels": selector},
                            "template": {"metadata": {"labels": {**selector, helm.MANAGED_BY: "Helm"}},
                                         "spec": pod_spec}}
    if c.kind != "DaemonSet":
        spec["replicas"] = e.replicas
    if c.kind == "StatefulSet":
        spec["serviceName"] = "prometheus-operated"
    return {"apiVersion": "apps/v1", "kind": c.kind,
            "metadata": _meta(e.name, extension_name, version, extra_labels={"app.kubernetes.io/name": e.name}),
            "spec": spec}


def _router_service(extension_name: str, settings: Mapping[str, Any], version: Optional[str]) -> dict[str, Any]:
    insecure = comp.is_true(settings, "allowInsecureConnections")
    port = {"name": "http", "port": 80, "targetPort": 9001} if insecure else \
        {"name": "https", "port": 443, "targetPort": 9443}
    meta = _meta(ROUTER_SERVICE, extension_name, version)
    if str(settings.get("internalLoadBalancerProvider") or "").lower() == "azure":
        meta["annotations"]["service.beta.kubernetes.io/azure-load-balancer-internal"] = "true"
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta,
            "spec": {"type": comp.router_service_type(settings),
                     "selector": pod_labels("azureml-fe-v2", extension_name),
                     "ports": [{**port, "protocol": "TCP"}]}}


def _owned_crd(crd: dict[str, Any], extension_name: str, version: Optional[str]) -> dict[str, Any]:
    crd["metadata"] = {**crd["metadata"], **_meta(crd["metadata"]["name"], extension_name, version, namespaced=False)}
    return crd


def chart_crds(extension_name: str, settings: Mapping[str, Any], version: Optional[str] = None) -> list[dict[str, Any]]:
    """The chart's ``crds/`` directory: the Prometheus operator's CRDs when installPromOp is on."""
    if not comp.workloads(settings) or not comp.setting_on(settings, "installPromOp"):
        return []
    return [_owned_crd(c, extension_name, version) for c in crds.load(crds.MONITORING)]


def render(extension_name: str, settings: Mapping[str, Any], cluster_type: str,
           version: Optional[str] = None) -> list[dict[str, Any]]:
    """The release's templated objects, in Helm's install order (CRDs, accounts, config, services, workloads)."""
    items = comp.expected(extension_name, settings, cluster_type)
    objs: list[dict[str, Any]] = [_owned_crd(c, extension_name, version) for c in crds.load(crds.AMLARC)]
    if comp.TRAINING in comp.workloads(settings) and comp.setting_on(settings, "installVolcano"):
        objs += [_owned_crd(c, extension_name, version) for c in crds.load(crds.VOLCANO)]
    objs += [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(n, extension_name, version)}
             for n in comp.service_accounts(extension_name, settings, cluster_type)]
    objs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(HEALTHCHECK_CONFIGMAP, extension_name, version)})
    if comp.INFERENCE in comp.workloads(settings):
        objs.append(_router_service(extension_name, settings, version))
    order = {"DaemonSet": 0, "Deployment": 1, "StatefulSet": 2}
    objs += [_workload(e, extension_name, settings, version) for e in sorted(items, key=lambda e: order[e.kind])]
    return objs


def ref(obj: dict[str, Any]) -> str:
    meta = obj["metadata"]
    return f"{obj['kind']}/{meta['namespace']}/{meta['name']}" if meta.get("namespace") else f"{obj['kind']}/{meta['name']}"


def ensure_namespace(api: ApiClient) -> dict[str, Any]:
    """Namespace ``azureml`` (created by the extension operator, not part of the Helm release)."""
    return kubeapi.apply(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
                         field_manager="extension-operator")


def release_objects(api: ApiClient, extension_name: str) -> list[dict[str, Any]]:
    """The objects in the cluster that this release owns (by Helm's labels and annotations)."""
    found = []
    for api_version, kind, namespaced in RELEASE_KINDS:
        for obj in kubeapi.list_(api, api_version, kind, NAMESPACE if namespaced else None,
                                 label_selector=helm.selector(extension_name)):
            if helm.owned_by(obj, extension_name):
                obj.setdefault("apiVersion", api_version)
                obj.setdefault("kind", kind)
                found.append(obj)
    return found


def _is_crds_dir(obj: dict[str, Any]) -> bool:
    return obj["kind"] == "CustomResourceDefinition" and obj["metadata"]["name"].endswith("." + crds.MONITORING)


def apply(api: ApiClient, extension_name: str, settings: Mapping[str, Any], cluster_type: str,
          version: Optional[str] = None) -> list[str]:
    """Install or upgrade the release; returns the refs (``Kind/namespace/name``) of what it applied.

    Objects an earlier apply created for settings now turned off are deleted. Idempotent.
    """
    ensure_namespace(api)
    for crd in chart_crds(extension_name, settings, version):
        kubeapi.create_if_absent(api, crd)
    objs = render(extension_name, settings, cluster_type, version)
    for obj in objs:
        kubeapi.apply(api, obj)
    wanted = {ref(o) for o in objs}
    for obj in release_objects(api, extension_name):
        if ref(obj) not in wanted and not _is_crds_dir(obj):
            kubeapi.delete(api, obj["apiVersion"], obj["kind"], obj["metadata"]["name"],
                           obj["metadata"].get("namespace"))
    return [ref(o) for o in objs]


def delete(api: ApiClient, extension_name: str, wait_seconds: float = 0) -> None:
    """Uninstall: the release's cluster-scoped objects, then namespace ``azureml`` with all in it.

    With ``wait_seconds`` > 0, waits until the namespace is gone (the namespace controller empties it).
    Idempotent.
    """
    for obj in release_objects(api, extension_name):
        if not obj["metadata"].get("namespace") and not _is_crds_dir(obj):
            kubeapi.delete(api, obj["apiVersion"], obj["kind"], obj["metadata"]["name"])
    kubeapi.delete(api, "v1", "Namespace", NAMESPACE)
    if wait_seconds > 0:
        kubeapi.wait_for(lambda: kubeapi.get(api, "v1", "Namespace", NAMESPACE) is None, wait_seconds,
                         interval=0.25, what=f"namespace {NAMESPACE} to be deleted")
