# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runner of ``aml_gpu_info``: GPU nodes, the device plugin's visible prerequisites, dcgm-exporter reuse, AML taints.

``decide(options, observed)`` is pure: the nodes, DaemonSets and the ServiceMonitor CRD read from the cluster
(``Observed``), with the user's choices, into one report: the GPU nodes and the pool, the device plugin's
checks, the dcgm-exporter found and the two objects its reuse needs, the taints and labels each pool node
lacks, whether the pool's GPUs are allocatable, and the errors that stop the role (``problems``). ``apply()``
reads through ``kube.Kube`` and, with ``expect_allocatable``, polls until the pool's GPUs are allocatable or
``wait_timeout``. It writes nothing: the role creates what the report lists with kubernetes.core's modules.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, NoReturn

from ansible_collections.azureml.kubernetes.plugins.module_utils import kube as kube_adapter
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import gpu
from ansible_collections.azureml.kubernetes.plugins.module_utils.kube import Kube, KubeError, sensitive_values

NODE_FIELDS = ("name", "pool", "gpu_allocatable", "gpu_capacity", "container_runtime", "taints")


@dataclass
class Observed:
    nodes: list[dict[str, Any]] = field(default_factory=list)
    daemonsets: list[dict[str, Any]] = field(default_factory=list)
    servicemonitor_crd: dict[str, Any] | None = None


def _established(crd: Mapping[str, Any] | None) -> bool:
    conditions = ((crd or {}).get("status") or {}).get("conditions") or []
    return crd is not None and any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def _show(node: Mapping[str, Any]) -> dict[str, Any]:
    return {k: node.get(k) for k in NODE_FIELDS}


# --- pure
def decide(options: Mapping[str, Any], observed: Observed) -> dict[str, Any]:
    """The report (see the module's RETURN); ``problems`` lists what must stop the role, empty when none."""
    namespace, extension = options["namespace"], options["extension_name"]
    problems: list[str] = []
    warnings: list[str] = []
    summaries = [gpu.node_summary(n) for n in observed.nodes]
    with_gpus = gpu.gpu_nodes(summaries)
    selector = dict(options.get("node_selector") or {})
    pool = gpu.select(summaries, selector) if selector else with_gpus
    pool_from = "node_selector" if selector else "allocatable"

    # The device plugin (installNvidiaDevicePlugin).
    plugin: dict[str, Any] = {"requested": bool(options["install_device_plugin"]), "checks": [], "not_visible": [],
                              "other_plugins": gpu.device_plugins(observed.daemonsets, namespace)}
    if plugin["requested"]:
        plugin["checks"] = gpu.device_plugin_checks(pool)
        plugin["not_visible"] = list(gpu.NOT_VISIBLE)
        problems += [f"node {c['node']}: {c['reason']}" for c in plugin["checks"] if c["verdict"] == "fail"]
        warnings += [f"node {c['node']}: {c['reason']}" for c in plugin["checks"] if c["verdict"] == "warn"]
        if plugin["other_plugins"]:
            names = ", ".join(f"{d['namespace']}/{d['name']}" for d in plugin["other_plugins"])
            warnings.append(f"An NVIDIA device plugin already runs ({names}); installNvidiaDevicePlugin would add a "
                            "second one on the same nodes: leave it false, or remove the other plugin first.")
        elif with_gpus:
            warnings.append(f"{len(with_gpus)} node(s) already advertise {gpu.GPU_RESOURCE}, so a device plugin (or "
                            "the GPU operator) already runs there; installNvidiaDevicePlugin is not needed for them.")
        if not pool:
            warnings.append("No node advertises nvidia.com/gpu yet and no node_selector names the GPU pool, so no node's "
                            "prerequisites were checked: give node_selector (for example agentpool: gpu).")

    # dcgm-exporter reuse (installDcgmExporter=False).
    dcgm: dict[str, Any] = {"requested": bool(options["reuse_dcgm_exporter"]), "exporter": None,
                            "candidates": [], "servicemonitor_crd": _established(observed.servicemonitor_crd),
                            "objects": [], "refs": [], "required_metrics": list(gpu.DCGM_METRICS)}
    exporter = None
    if dcgm["requested"]:
        found = gpu.exporters(observed.daemonsets, namespace)
        wanted_ns = options.get("dcgm_exporter_namespace")
        if wanted_ns:
            found = [e for e in found if e["namespace"] == wanted_ns]
        dcgm["candidates"] = [{"namespace": e["namespace"], "name": e["name"], "instance": e["instance"]} for e in found]
        where = f" in namespace {wanted_ns}" if wanted_ns else ""
        if not found:
            problems.append(f"No dcgm-exporter DaemonSet (label {gpu.DCGM_NAME_LABEL}={gpu.DCGM_NAME}){where} to reuse: "
                            "install one (the dcgm-exporter or gpu-operator chart), or let the extension install its "
                            "own with installDcgmExporter=True instead.")
        elif len(found) > 1:
            problems.append("Several dcgm-exporter DaemonSets (" + ", ".join(f"{e['namespace']}/{e['name']}" for e in found)
                            + "): set dcgm_exporter_namespace to the one to reuse.")
        else:
            exporter = found[0]
            dcgm["exporter"] = dcgm["candidates"][0]
            dcgm["objects"] = gpu.dcgm_objects(exporter, extension, namespace)
            dcgm["refs"] = [{"kind": o["kind"], "namespace": o["metadata"]["namespace"], "name": o["metadata"]["name"]}
                            for o in dcgm["objects"]]
        if not dcgm["servicemonitor_crd"]:
            problems.append(f"The ServiceMonitor {gpu.DCGM_MONITOR} needs the Prometheus operator's CRD "
                            f"{gpu.SERVICEMONITOR_CRD} ({gpu.SERVICEMONITOR_API_VERSION}), which this cluster does not "
                            "serve (or has not established): install the Prometheus operator (or its CRDs) first, or "
                            "let the extension install its dcgm-exporter (installDcgmExporter=True).")

    # AML taints and labels on the GPU pool.
    taint: dict[str, Any] = {"requested": bool(options["taint_nodes"]), "taints": [], "labels": {}, "changes": []}
    if taint["requested"]:
        try:
            taint["taints"] = gpu.validate_taints(options.get("taints") or gpu.DEFAULT_TAINTS)
        except ValueError as exc:
            problems.append(str(exc))
        taint["labels"] = {str(k): str(v) for k, v in (options.get("labels") or {}).items()}
        if not pool:
            problems.append("No GPU pool to taint: no node advertises nvidia.com/gpu" +
                            (f" and none matches node_selector {selector}" if selector else
                             "; give node_selector (for example agentpool: gpu)") + ".")
        taint["changes"] = gpu.node_changes(pool, taint["taints"], taint["labels"])
        if any(t["effect"] == "NoExecute" for t in taint["taints"]):
            warnings.append("A NoExecute taint evicts every running pod on the pool that does not tolerate it.")
        if exporter is not None:
            missing = gpu.untolerated(exporter["tolerations"], taint["taints"])
            if missing:
                warnings.append(f"dcgm-exporter {exporter['namespace']}/{exporter['name']} does not tolerate "
                                f"{', '.join(missing)}: once the pool is tainted, its pods are no longer scheduled on "
                                "new pool nodes, so their GPUs go unmonitored. Add the tolerations to its chart values.")

    # GPUs allocatable on the pool (after the install).
    missing_gpus = [n["name"] for n in pool if n["gpu_allocatable"] < 1]
    allocatable = {"expected": bool(options["expect_allocatable"]), "ok": bool(pool) and not missing_gpus,
                   "nodes_without": missing_gpus,
                   "total": sum(n["gpu_allocatable"] for n in pool)}
    if allocatable["expected"] and not allocatable["ok"]:
        problems.append(
            f"No allocatable {gpu.GPU_RESOURCE} on " + (", ".join(missing_gpus) if missing_gpus else
                                                        "any node (the pool is empty)")
            + ". The device plugin advertises GPUs: check that its DaemonSet (nvidia-device-plugin-daemonset with "
            "installNvidiaDevicePlugin) runs on those nodes, and the driver, toolkit and default runtime on the node.")

    report = {"nodes": [_show(n) for n in with_gpus], "pool": [n["name"] for n in pool], "pool_from": pool_from,
              "total_gpus": sum(n["gpu_allocatable"] for n in with_gpus), "device_plugin": plugin, "dcgm": dcgm,
              "taint": taint, "allocatable": allocatable,
              "extension_settings": gpu.settings(plugin["requested"], dcgm["requested"]),
              "warnings": warnings, "problems": problems}
    report["message"] = message(report)
    return report


def message(report: Mapping[str, Any]) -> str:
    parts = [f"{len(report['nodes'])} node(s) with allocatable {gpu.GPU_RESOURCE} ({report['total_gpus']} GPUs)",
             f"GPU pool: {', '.join(report['pool']) or 'none'}"]
    if report["dcgm"]["exporter"]:
        e = report["dcgm"]["exporter"]
        parts.append(f"dcgm-exporter {e['namespace']}/{e['name']} reused through Service {gpu.DCGM_SERVICE} and "
                     f"ServiceMonitor {gpu.DCGM_MONITOR}")
    if report["taint"]["requested"]:
        parts.append(f"{len(report['taint']['changes'])} pool node(s) to taint or label")
    if report["problems"]:
        parts.append("problems: " + " ".join(report["problems"]))
    return ". ".join(parts) + "."


# --- I/O
def observe(kube: Kube) -> Observed:
    seen = Observed(nodes=kube.list("Node", None), daemonsets=kube.list("DaemonSet", None, api_version="apps/v1"))
    seen.servicemonitor_crd = kube.get("CustomResourceDefinition", gpu.SERVICEMONITOR_CRD, None,
                                       api_version="apiextensions.k8s.io/v1")
    return seen


def apply(module: Any, *, kube: Kube | None = None, clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    p = module.params
    if kube_adapter.IMPORT_ERROR is not None:
        from ansible.module_utils.basic import missing_required_lib

        module.fail_json(msg=missing_required_lib("kubernetes (the Python client) and the kubernetes.core collection"),
                         exception=str(kube_adapter.IMPORT_ERROR))
    if p["wait_sleep"] < 1:
        module.fail_json(msg=f"wait_sleep must be at least 1 (got {p['wait_sleep']}).")
    module.no_log_values.update(sensitive_values(p))
    kube = kube or Kube(p, p["cluster_name"])
    started = clock()
    deadline = started + (p["wait_timeout"] if p["expect_allocatable"] else 0)
    try:
        while True:
            report = decide(p, observe(kube))
            if not (p["expect_allocatable"] and not report["allocatable"]["ok"]) or clock() >= deadline:
                break
            sleep(min(p["wait_sleep"], max(deadline - clock(), 0)))
    except KubeError as exc:
        module.fail_json(msg=str(exc))
    report["waited"] = int(clock() - started)
    for warning in report["warnings"]:
        module.warn(warning)
    if report["problems"]:
        module.fail_json(msg=f"GPU checks on cluster {p['cluster_name']} failed: " + " ".join(report["problems"]),
                         changed=False, **report)
    return dict(changed=False, **report)


def run(module: Any) -> NoReturn:
    module.exit_json(**apply(module))
