# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPU nodes for the Azure Machine Learning extension, pure: what the API shows and what to create.

- ``node_summary()``/``gpu_nodes()``/``select()``: nodes with allocatable ``nvidia.com/gpu`` and the GPU pool;
- ``device_plugin_checks()``: the NVIDIA device plugin's prerequisites (``installNvidiaDevicePlugin``) as far as
  the API shows them: the container runtime and its version per node (``status.nodeInfo.containerRuntimeVersion``)
  and the kubelet version. The driver, nvidia-container-toolkit >= 1.7.0 and nvidia-container-runtime as the
  *default* runtime live in the node's files and runtime configuration, which no API object reports;
  ``NOT_VISIBLE`` says so and how to check on the node;
- ``exporters()``/``dcgm_objects()``: an existing dcgm-exporter DaemonSet (label
  ``app.kubernetes.io/name: dcgm-exporter``) and the Service and ServiceMonitor the documentation requires to
  reuse it (``installDcgmExporter=False``);
- ``validate_taints()``/``node_changes()``/``tolerates()``: the AML taints on a GPU pool (only the keys AML pods
  tolerate), what each node lacks, and whether a DaemonSet would still be scheduled there.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

GPU_RESOURCE = "nvidia.com/gpu"

# AML pods tolerate only these taint keys (aml-operations-facts, "Dedicating nodes: the AML taints").
AML_TAINT_KEYS = ("ml.azure.com/amlarc", "ml.azure.com/amlarc-system", "ml.azure.com/amlarc-workload",
                  "ml.azure.com/resource-group", "ml.azure.com/workspace", "ml.azure.com/compute")
TAINT_EFFECTS = ("NoSchedule", "NoExecute", "PreferNoSchedule")
# A GPU pool dedicated to ML workloads: the overall taint plus the workload one (the documented layering).
DEFAULT_TAINTS = ({"key": "ml.azure.com/amlarc", "value": "true", "effect": "NoSchedule"},
                  {"key": "ml.azure.com/amlarc-workload", "value": "true", "effect": "NoSchedule"})

POOL_LABELS = ("kubernetes.azure.com/agentpool", "agentpool")

# --- the NVIDIA device plugin (installNvidiaDevicePlugin)
KNOWN_RUNTIMES = ("containerd", "cri-o", "docker")
MIN_KUBELET = (1, 10)
NOT_VISIBLE = (
    "The NVIDIA driver (384.81 or newer), nvidia-container-toolkit >= 1.7.0 (or nvidia-docker >= 2.0) and "
    "nvidia-container-runtime configured as the default runtime of containerd or CRI-O are set up in each node's "
    "packages and runtime configuration; the Kubernetes API reports only the runtime's name and version "
    "(status.nodeInfo.containerRuntimeVersion), so they cannot be checked from here. Check them on a GPU node: "
    "'nvidia-smi' (driver), 'nvidia-ctk --version' (toolkit), and in /etc/containerd/config.toml that "
    "default_runtime_name is \"nvidia\" (then restart containerd).",
)
DEVICE_PLUGIN_NAME = "nvidia-device-plugin"

# --- dcgm-exporter reuse (installDcgmExporter=False)
DCGM_NAME_LABEL = "app.kubernetes.io/name"
DCGM_NAME = "dcgm-exporter"
INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
DCGM_SERVICE = "dcgm-exporter-service"
DCGM_MONITOR = "dcgm-exporter-monitor"
DCGM_PORT_NAME = "metrics"
DCGM_PORT = 9400
DCGM_PATH = "/metrics"
DCGM_METRICS = ("DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_FB_USED")
SERVICEMONITOR_API_VERSION = "monitoring.coreos.com/v1"
SERVICEMONITOR_CRD = "servicemonitors.monitoring.coreos.com"


def quantity(value: Any) -> int:
    """An extended resource's count (``nvidia.com/gpu`` is a whole number); 0 when absent or unreadable."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def parse_runtime(text: str | None) -> tuple[str | None, str | None]:
    """``containerd://1.7.27-1`` -> (``containerd``, ``1.7.27-1``)."""
    if not text:
        return None, None
    name, sep, version = str(text).partition("://")
    return (name or None, version or None) if sep else (str(text), None)


def version_tuple(text: str | None) -> tuple[int, ...]:
    found = re.match(r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", str(text or ""))
    return tuple(int(g) for g in found.groups() if g is not None) if found else ()


def node_summary(node: Mapping[str, Any]) -> dict[str, Any]:
    meta, status = node.get("metadata") or {}, node.get("status") or {}
    labels = meta.get("labels") or {}
    info = status.get("nodeInfo") or {}
    runtime, runtime_version = parse_runtime(info.get("containerRuntimeVersion"))
    return {"name": meta.get("name"),
            "pool": next((labels[k] for k in POOL_LABELS if labels.get(k)), None),
            "gpu_allocatable": quantity((status.get("allocatable") or {}).get(GPU_RESOURCE)),
            "gpu_capacity": quantity((status.get("capacity") or {}).get(GPU_RESOURCE)),
            "container_runtime": info.get("containerRuntimeVersion"), "runtime": runtime,
            "runtime_version": runtime_version, "kubelet_version": info.get("kubeletVersion"),
            "taints": [dict(t) for t in ((node.get("spec") or {}).get("taints") or [])],
            "labels": dict(labels)}


def gpu_nodes(summaries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The nodes that advertise allocatable ``nvidia.com/gpu``."""
    return [dict(s) for s in summaries if s["gpu_allocatable"] > 0]


def select(summaries: Iterable[Mapping[str, Any]], selector: Mapping[str, str]) -> list[dict[str, Any]]:
    """The nodes whose labels hold every ``selector`` pair."""
    return [dict(s) for s in summaries if all(s["labels"].get(k) == str(v) for k, v in selector.items())]


def device_plugin_checks(pool: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per node, what the API shows of the device plugin's prerequisites: a verdict and its reason.

    ``pass``: a known runtime (containerd, CRI-O, Docker) and a kubelet >= 1.10 (the plugin's minimum); the
    toolkit and the default runtime still need a check on the node (``NOT_VISIBLE``). ``warn``: another or
    unknown runtime, which the plugin's documentation does not cover. ``fail``: a kubelet older than 1.10.
    """
    checks = []
    for node in pool:
        kubelet = version_tuple(node.get("kubelet_version"))
        runtime = (node.get("runtime") or "").lower()
        if kubelet and kubelet[:2] < MIN_KUBELET:
            verdict, reason = "fail", (f"kubelet {node.get('kubelet_version')} is older than 1.10, the NVIDIA device "
                                       "plugin's minimum")
        elif runtime not in KNOWN_RUNTIMES:
            verdict, reason = "warn", (f"container runtime {node.get('container_runtime') or 'unknown'} is not one the "
                                       "NVIDIA device plugin documents (containerd, CRI-O, Docker)")
        else:
            verdict, reason = "pass", (f"{node.get('runtime')} {node.get('runtime_version') or '(version not reported)'}; "
                                       "nvidia-container-toolkit >= 1.7.0 and nvidia-container-runtime as its default "
                                       "runtime are not visible from the API: check on the node")
        checks.append({"node": node.get("name"), "container_runtime": node.get("container_runtime"),
                       "runtime": node.get("runtime"), "runtime_version": node.get("runtime_version"),
                       "kubelet_version": node.get("kubelet_version"), "verdict": verdict, "reason": reason})
    return checks


def device_plugins(daemonsets: Iterable[Mapping[str, Any]], extension_namespace: str) -> list[dict[str, str]]:
    """NVIDIA device plugin DaemonSets outside the extension's namespace (another plugin, or the GPU operator's)."""
    found = []
    for ds in daemonsets:
        meta = ds.get("metadata") or {}
        labels = meta.get("labels") or {}
        name = meta.get("name") or ""
        if meta.get("namespace") == extension_namespace:
            continue
        if DEVICE_PLUGIN_NAME in name or labels.get(DCGM_NAME_LABEL) == DEVICE_PLUGIN_NAME:
            found.append({"namespace": meta.get("namespace"), "name": name})
    return found


def exporters(daemonsets: Iterable[Mapping[str, Any]], extension_namespace: str) -> list[dict[str, Any]]:
    """dcgm-exporter DaemonSets (label ``app.kubernetes.io/name: dcgm-exporter``) not the extension's own."""
    found = []
    for ds in daemonsets:
        meta = ds.get("metadata") or {}
        labels = meta.get("labels") or {}
        if labels.get(DCGM_NAME_LABEL) != DCGM_NAME or meta.get("namespace") == extension_namespace:
            continue
        pod_labels = (((ds.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
        found.append({"namespace": meta.get("namespace"), "name": meta.get("name"),
                      "instance": pod_labels.get(INSTANCE_LABEL) or labels.get(INSTANCE_LABEL),
                      "pod_labels": dict(pod_labels),
                      "tolerations": list((((ds.get("spec") or {}).get("template") or {}).get("spec") or {})
                                          .get("tolerations") or [])})
    return sorted(found, key=lambda e: (e["namespace"] or "", e["name"] or ""))


def dcgm_objects(exporter: Mapping[str, Any], extension_name: str, extension_namespace: str) -> list[dict[str, Any]]:
    """The Service (in the exporter's namespace) and ServiceMonitor (in the extension's) the docs require for reuse.

    The Service selects the exporter's pods (``app.kubernetes.io/name: dcgm-exporter`` and its Helm instance) and is
    labelled with the AML extension's name as ``app.kubernetes.io/instance``, which the ServiceMonitor (label
    ``release: <extension>``, so the extension's Prometheus picks it up) selects in the exporter's namespace.
    """
    selector = {DCGM_NAME_LABEL: DCGM_NAME}
    if exporter.get("instance"):
        selector[INSTANCE_LABEL] = exporter["instance"]
    service_labels = {DCGM_NAME_LABEL: DCGM_NAME, INSTANCE_LABEL: extension_name, COMPONENT_LABEL: DCGM_NAME}
    service = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": DCGM_SERVICE, "namespace": exporter["namespace"], "labels": dict(service_labels),
                     "annotations": {"prometheus.io/scrape": "true"}},
        "spec": {"type": "ClusterIP", "selector": selector,
                 "ports": [{"name": DCGM_PORT_NAME, "port": DCGM_PORT, "targetPort": DCGM_PORT, "protocol": "TCP"}]},
    }
    monitor = {
        "apiVersion": SERVICEMONITOR_API_VERSION, "kind": "ServiceMonitor",
        "metadata": {"name": DCGM_MONITOR, "namespace": extension_namespace, "labels": {"release": extension_name}},
        "spec": {"selector": {"matchLabels": dict(service_labels)},
                 "namespaceSelector": {"matchNames": [exporter["namespace"]]},
                 "endpoints": [{"port": DCGM_PORT_NAME, "path": DCGM_PATH}]},
    }
    return [service, monitor]


def validate_taints(taints: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The taints, checked: only keys AML pods tolerate, a documented effect. ValueError names the first fault."""
    out = []
    for index, taint in enumerate(taints):
        key, effect = taint.get("key"), taint.get("effect", "NoSchedule")
        if key not in AML_TAINT_KEYS:
            raise ValueError(f"taints[{index}]: key {key!r} is not one AML pods tolerate, so AML could not use the "
                             f"nodes either; use {', '.join(AML_TAINT_KEYS)}")
        if effect not in TAINT_EFFECTS:
            raise ValueError(f"taints[{index}]: effect {effect!r} must be one of {', '.join(TAINT_EFFECTS)}")
        value = taint.get("value")
        if value is None or value == "":
            raise ValueError(f"taints[{index}]: {key} needs a value (true, or the resource group, workspace or "
                             "compute name)")
        out.append({"key": str(key), "value": str(value), "effect": str(effect)})
    return out


def missing_taints(existing: Iterable[Mapping[str, Any]], wanted: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """The wanted taints a node does not carry exactly (same key and effect, and value)."""
    have = {(t.get("key"), t.get("effect")): t.get("value") or "" for t in existing}
    return [dict(t) for t in wanted if have.get((t["key"], t["effect"])) != t["value"]]


def node_changes(pool: Iterable[Mapping[str, Any]], taints: list[dict[str, str]],
                 labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """Per pool node that needs it, the taints to add and the labels to set."""
    changes = []
    for node in pool:
        add = missing_taints(node.get("taints") or [], taints)
        set_labels = {k: str(v) for k, v in labels.items() if node["labels"].get(k) != str(v)}
        if add or set_labels:
            changes.append({"name": node["name"], "add_taints": add, "set_labels": set_labels})
    return changes


def tolerates(tolerations: Iterable[Mapping[str, Any]], taint: Mapping[str, str]) -> bool:
    """Kubernetes' rule: a toleration matches a taint by key (or an empty key with Exists), value and effect."""
    for tol in tolerations:
        operator = tol.get("operator") or "Equal"
        if tol.get("effect") and tol["effect"] != taint["effect"]:
            continue
        if not tol.get("key"):
            if operator == "Exists":
                return True
            continue
        if tol["key"] != taint["key"]:
            continue
        if operator == "Exists" or (tol.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def untolerated(tolerations: Iterable[Mapping[str, Any]], taints: Iterable[Mapping[str, str]]) -> list[str]:
    """``key=value:effect`` of each scheduling taint (NoSchedule, NoExecute) the tolerations do not cover."""
    tolerations = list(tolerations)
    return [f"{t['key']}={t['value']}:{t['effect']}" for t in taints
            if t["effect"] != "PreferNoSchedule" and not tolerates(tolerations, t)]


def settings(install_device_plugin: bool, reuse_dcgm_exporter: bool) -> dict[str, str]:
    """The extension settings these choices mean, as the CLI sends booleans."""
    out = {"installNvidiaDevicePlugin": "True" if install_device_plugin else "False"}
    if reuse_dcgm_exporter:
        out["installDcgmExporter"] = "False"
    return out
