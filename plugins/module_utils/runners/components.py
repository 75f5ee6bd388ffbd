# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runner of ``aml_components_info``: what an extension's settings need in ``azureml``, and what is there.

``decide(expected, observed, provisioning_state)`` is pure: the components (``aml/components.expected()``)
against the objects read from the cluster (``Observed``), with kubernetes.core's readiness predicates,
the pods not Running and why, and the ``arcml-healthcheck`` verdict, into one report. ``apply()`` does the
I/O: the extension from Azure (``read_extension``, the one Azure read), the cluster through ``kube.Kube``,
and, with ``wait``, polls both until the report passes, the extension ends ``Failed``, or ``wait_timeout``.
Only ``apply()`` turns an error into ``fail_json``; the module holds docs, spec and ``main()``.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, NoReturn

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import components as table
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import failure as extension_failure
from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.health_checks import health_check_hints
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import CollectionError
from ansible_collections.azureml.kubernetes.plugins.module_utils import kube as kube_adapter
from ansible_collections.azureml.kubernetes.plugins.module_utils.kube import Kube, KubeError, is_ready, sensitive_values
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.clusters import Clusters
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.extensions import Extensions
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.providers import (
    KUBERNETES_CONFIGURATION,
    Providers,
)

HEALTHCHECK_CONFIGMAP = "arcml-healthcheck"
# provisioningState values of an operation still running (the documented Pending, then Creating/Updating).
PROVISIONING_RUNNING = frozenset({"pending", "creating", "updating", "accepted", "provisioning", "deleting"})
PASS_WORDS = frozenset({"passed", "pass", "success", "succeeded", "successful", "healthy", "true", "ok"})
FAIL_WORDS = frozenset({"failed", "fail", "failure", "error", "unhealthy", "false"})
CODE = re.compile(r"\bE4\d{4}\b")
MAX_TEXT = 1000


@dataclass
class Observed:
    """What one read of the cluster found in the namespace (plain dicts as the API server returns them)."""

    workloads: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (kind, name) -> object
    pods: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    healthcheck: dict[str, Any] | None = None


# --- pure: one pod
def _conditions(obj: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {c.get("type"): c for c in ((obj.get("status") or {}).get("conditions") or []) if isinstance(c, dict)}


def _short(text: Any) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 3] + "..."


def pod_problem(pod: Mapping[str, Any]) -> dict[str, Any] | None:
    """Why a pod is not Running and ready, as kubectl shows it (reason, message); None for a healthy pod.

    A pod that Succeeded (a finished hook or job) is healthy. Pending gives the scheduler's verdict (e.g.
    ``Unschedulable``: "0/3 nodes are available: 3 Insufficient cpu."); a container gives its waiting or
    terminated reason (``ImagePullBackOff``, ``CrashLoopBackOff``, ``OOMKilled``); an evicted pod its reason.
    """
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    phase = status.get("phase") or "Unknown"
    if phase == "Succeeded":
        return None
    reason, message = None, None
    containers = list(status.get("initContainerStatuses") or []) + list(status.get("containerStatuses") or [])
    for container in containers:
        state = container.get("state") or {}
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if waiting and waiting.get("reason"):
            reason, message = waiting["reason"], waiting.get("message")
            break
        if terminated and not container.get("ready") and terminated.get("reason") != "Completed":
            reason = terminated.get("reason") or "Terminated"
            message = terminated.get("message") or f"exit code {terminated.get('exitCode')}"
            break
    ready = _conditions(pod).get("Ready", {}).get("status")
    if meta.get("deletionTimestamp"):
        reason = "Terminating"
    elif reason is None and phase == "Pending":
        scheduled = _conditions(pod).get("PodScheduled") or {}
        if scheduled.get("status") == "False":
            reason, message = scheduled.get("reason") or "Unschedulable", scheduled.get("message")
    if reason is None and status.get("reason"):
        reason, message = status["reason"], status.get("message")
    if reason is None:
        if phase == "Running" and ready != "False":
            return None
        reason = phase if phase != "Running" else "NotReady"
        message = message or ("containers not ready" if phase == "Running" else None)
    return {"name": meta.get("name"), "phase": phase, "reason": reason, "message": _short(message),
            "node": (pod.get("spec") or {}).get("nodeName")}


def _event_time(event: Mapping[str, Any]) -> str:
    return str(event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp")
               or (event.get("metadata") or {}).get("creationTimestamp") or "")


def events_about(events: list[Mapping[str, Any]], names: set[str], limit: int) -> list[dict[str, Any]]:
    """The last ``limit`` events whose object is one of ``names``, oldest first (kubectl's --sort-by)."""
    about = [e for e in events if (e.get("involvedObject") or {}).get("name") in names]
    about.sort(key=_event_time)
    return [{"type": e.get("type"), "reason": e.get("reason"), "message": _short(e.get("message")),
             "object": "{0}/{1}".format((e.get("involvedObject") or {}).get("kind"),
                                        (e.get("involvedObject") or {}).get("name")),
             "count": e.get("count"), "last_seen": _event_time(e) or None} for e in about[-limit:]] if limit else []


# --- pure: one component
def _selects(workload: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    selector = ((workload.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def pods_of(workload: Mapping[str, Any], pods: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The pods the workload's label selector picks, in the workload's namespace."""
    namespace = (workload.get("metadata") or {}).get("namespace")
    return [p for p in pods if (p.get("metadata") or {}).get("namespace") in (None, namespace) and _selects(workload, p)]


def _counts(kind: str, obj: Mapping[str, Any]) -> tuple[int | None, int]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if kind == table.DAEMONSET:
        return status.get("desiredNumberScheduled"), status.get("numberReady") or 0
    return spec.get("replicas", 1), status.get("readyReplicas") or 0


def evaluate(component: table.Component, obj: Mapping[str, Any] | None,
             pods: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One component's verdict: present, ready (kubernetes.core's predicate) and, when not ready, why.

    A Deployment or StatefulSet scaled to zero replicas counts as not ready: kubernetes.core's predicate
    calls it ready (nothing is unavailable), but the extension needs it running.
    """
    kind, where = component.kind, f"{component.namespace}/{component.name}"
    result: dict[str, Any] = {"name": component.name, "kind": kind, "workloads": list(component.workloads),
                              "replicas": component.replicas, "present": obj is not None, "ready": False,
                              "desired": None, "ready_replicas": 0, "reason": None, "pods": []}
    if obj is None:
        result["reason"] = f"missing: no {kind} {where}"
        return result
    desired, ready_count = _counts(kind, obj)
    own = pods_of(obj, pods)
    result.update(desired=desired, ready_replicas=ready_count,
                  pods=sorted((p.get("metadata") or {}).get("name") for p in own))
    if kind != table.DAEMONSET and desired == 0:
        expected = f" (expected {component.replicas})" if component.replicas else ""
        result["reason"] = f"scaled to 0 replicas{expected}"
        return result
    if kind == table.DAEMONSET and desired == 0:
        result["reason"] = "runs on no node: 0 pods scheduled (check nodeSelector and the nodes' taints)"
        return result
    if is_ready(kind, obj):
        result["ready"] = True
        return result
    noun = "pods" if kind == table.DAEMONSET else "replicas"
    reason = f"{ready_count}/{desired if desired is not None else '?'} {noun} ready"
    problems = [p for p in (pod_problem(pod) for pod in own) if p]
    if problems:
        first = problems[0]
        detail = f"{first['reason']}: {first['message']}" if first["message"] else first["reason"]
        reason += f"; pod {first['name']} {first['phase']}, {detail}"
    elif not own:
        reason += "; no pod created yet"
    else:
        reason += "; rollout in progress"
    result["reason"] = reason
    return result


# --- pure: the health check
def _phase_entry(value: Any) -> dict[str, Any] | None:
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) and "status" in parsed else None


def _word(value: Any) -> bool | None:
    word = str(value or "").strip().lower()
    return True if word in PASS_WORDS else (False if word in FAIL_WORDS else None)


def healthcheck_verdict(configmap: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``arcml-healthcheck`` ConfigMap's verdict: passed (True, False, or None when it does not say).

    The health check writes one entry per hook (``pre-install``, ``pre-upgrade``, ``pre-rollback``,
    ``pre-delete``), each JSON ``{"status", "code", "message", "time"}``: the latest entry (by its time)
    decides, and without times any failed one. Entries in another form count as failed when they name a
    health-check code (E4xxxx) or a status/result entry says failed, as passed when one says passed.
    """
    if configmap is None:
        return {"present": False, "passed": None, "phase": None, "codes": [], "hints": [], "data": {},
                "summary": f"no {HEALTHCHECK_CONFIGMAP} ConfigMap in {table.NAMESPACE}"}
    raw = {str(k): v for k, v in ((configmap.get("data") or {}).items())}
    data = {k: _short(v) for k, v in raw.items()}
    phases = {k: e for k, e in ((k, _phase_entry(v)) for k, v in raw.items()) if e is not None}
    phase = None
    if phases:
        timed = {k: e for k, e in phases.items() if e.get("time")}
        if timed:
            phase = max(timed, key=lambda k: str(timed[k]["time"]))
        else:
            failed_phases = [k for k, e in sorted(phases.items()) if _word(e.get("status")) is False]
            phase = failed_phases[0] if failed_phases else sorted(phases)[0]
        entry = phases[phase]
        passed = _word(entry.get("status"))
        text = " ".join(str(entry.get(k) or "") for k in ("code", "message"))
        codes = [str(entry["code"])] if entry.get("code") and passed is False else []
        codes = sorted(set(codes) | set(CODE.findall(text))) if passed is False else []
    else:
        text = " ".join(f"{k}={v}" for k, v in sorted(raw.items()))
        codes = sorted(set(CODE.findall(text)))
        words = {_word(v) for k, v in raw.items()
                 if any(s in k.lower() for s in ("status", "result", "verdict", "passed", "health"))}
        passed = False if codes or False in words else (True if True in words else None)
    summary = "failed" if passed is False else ("passed" if passed else "no verdict")
    if phase:
        summary += f" ({phase})"
    if passed is False:
        detail = (phases[phase].get("message") if phase else None) or ""
        summary += (": " + ", ".join(codes) if codes else "") + (f" {_short(detail)}" if detail else "")
    return {"present": True, "passed": passed, "phase": phase, "codes": codes,
            "hints": health_check_hints(text) if passed is False else [], "data": data, "summary": summary}


# --- pure: the report
def decide(expected: list[table.Component], observed: Observed, provisioning_state: str | None, *,
           events_per_object: int = 5, azure_failure: tuple[str, list[str]] | None = None) -> dict[str, Any]:
    """The report: components with their verdicts, pods not Running and why, the health check, passed.

    ``azure_failure``: for a Failed extension, what Azure reported and its hints (``extension_state.failure``).
    """
    verdicts = []
    for component in expected:
        verdict = evaluate(component, observed.workloads.get((component.kind, component.name)), observed.pods)
        if not verdict["ready"]:
            names = {component.name, *verdict["pods"]}
            names.update((e.get("involvedObject") or {}).get("name") for e in observed.events
                         if ((e.get("involvedObject") or {}).get("name") or "").startswith(component.name + "-")
                         and (e.get("involvedObject") or {}).get("kind") == "ReplicaSet")
            verdict["events"] = events_about(observed.events, names, events_per_object)
        else:
            verdict["events"] = []
        verdicts.append(verdict)
    owner = {pod: v["name"] for v in verdicts for pod in v["pods"]}
    not_running = []
    for pod in observed.pods:
        problem = pod_problem(pod)
        if problem:
            problem["component"] = owner.get(problem["name"])
            problem["events"] = events_about(observed.events, {problem["name"]}, events_per_object)
            not_running.append(problem)
    not_running.sort(key=lambda p: p["name"] or "")
    health = healthcheck_verdict(observed.healthcheck)
    state = provisioning_state
    ready = all(v["ready"] for v in verdicts)
    passed = (state is None or state.lower() == "succeeded") and ready and not not_running \
        and health["passed"] is not False
    return {"components": verdicts, "pods_not_running": not_running, "healthcheck": health,
            "provisioning_state": state, "ready": ready, "passed": passed,
            "message": message(verdicts, not_running, health, state, len(expected), azure_failure)}


def message(verdicts: list[dict[str, Any]], not_running: list[dict[str, Any]], health: dict[str, Any],
            state: str | None, total: int, azure_failure: tuple[str, list[str]] | None = None) -> str:
    """One paragraph naming everything that is wrong (or that all is well)."""
    parts = []
    if state is not None and state.lower() != "succeeded":
        said = f"provisioningState is {state}, not Succeeded"
        if azure_failure and azure_failure[0]:
            said += f": {azure_failure[0]}" + (f" ({' '.join(azure_failure[1])})" if azure_failure[1] else "")
        parts.append(said)
    missing = [v["name"] for v in verdicts if not v["present"]]
    unready = [v for v in verdicts if v["present"] and not v["ready"]]
    parts.append(f"{total - len(missing) - len(unready)} of {total} components ready")
    if missing:
        parts.append(f"missing from {table.NAMESPACE}: " + ", ".join(missing))
    if unready:
        parts.append("not ready: " + "; ".join(f"{v['name']} ({v['kind']}): {v['reason']}" for v in unready))
    if not_running:
        parts.append("pods not Running: " + "; ".join(
            f"{p['name']} {p['phase']} ({p['reason']}{': ' + p['message'] if p['message'] else ''})"
            for p in not_running))
    if health["present"] or health["passed"] is not None:
        hints = f" ({' '.join(health['hints'])})" if health["hints"] else ""
        parts.append(f"health check {health['summary']}{hints}")
    return ". ".join(parts) + "."


# --- I/O
def read_extension(azure: Any, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The extension as ARM JSON, None when it is not installed: the one Azure read of this runner.

    Raises ``CollectionError`` (a missing cluster is ``NotFound`` naming what to check).
    """
    where = (azure, params["cluster_type"], params["resource_group"], params["cluster_name"])
    found = None
    if Providers(azure).registered(KUBERNETES_CONFIGURATION):
        found = Extensions(*where).get(params["name"])
    if found is None:
        clusters = Clusters(*where)
        if not clusters.exists():
            raise clusters.not_found()
    return found


def not_installed(params: Mapping[str, Any]) -> str:
    return (f"Extension {params['name']} is not installed on {params['cluster_type']}/{params['cluster_name']} in "
            f"resource group {params['resource_group']}, so no component is expected. Install it with "
            "azureml.kubernetes.aml_extension (role azureml.kubernetes.extension), or check name; to check the "
            "cluster against settings read elsewhere, give settings.")


def _provisioning_state(extension: Mapping[str, Any] | None) -> str | None:
    return ((extension or {}).get("properties") or {}).get("provisioningState")


def observe(kube: Kube, namespace: str) -> Observed:
    """One read of the namespace: the three workload kinds, pods, events and the health-check ConfigMap."""
    seen = Observed()
    for kind in table.KINDS:
        for obj in kube.list(kind, namespace, api_version=table.API_VERSION):
            seen.workloads[(kind, (obj.get("metadata") or {}).get("name"))] = obj
    seen.pods = kube.list("Pod", namespace)
    seen.events = kube.list("Event", namespace)
    seen.healthcheck = kube.get("ConfigMap", HEALTHCHECK_CONFIGMAP, namespace)
    return seen


def apply(azure: Any, *, kube: Kube | None = None, read: Callable[[Any, Mapping[str, Any]], Any] = read_extension,
          clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Read (and with ``wait``, poll) Azure and the cluster; return the module's result. Fails on errors."""
    p = azure.params
    if kube_adapter.IMPORT_ERROR is not None:
        from ansible.module_utils.basic import missing_required_lib

        azure.fail(missing_required_lib("kubernetes (the Python client) and the kubernetes.core collection"),
                   exception=str(kube_adapter.IMPORT_ERROR))
    if p["wait_sleep"] < 1 or p["events"] < 0:
        azure.fail(f"wait_sleep must be at least 1 (got {p['wait_sleep']}) and events at least 0 (got {p['events']}).")
    if p.get("settings") is None and not p.get("resource_group"):
        azure.fail("resource_group is required to read the extension from Azure; give it, or give settings.")
    azure.hide(*sensitive_values(p))
    kube = kube or Kube(p, p["cluster_name"])
    deadline = clock() + (p["wait_timeout"] if p["wait"] else 0)
    started = clock()
    given = p.get("settings")
    try:
        while True:
            extension = None
            if given is None:
                extension = read(azure, p)
                if extension is None:
                    azure.fail(not_installed(p))
            state = _provisioning_state(extension)
            settings = given if given is not None else \
                ((extension.get("properties") or {}).get("configurationSettings") or {})
            expected = table.expected(settings, p["name"], p["cluster_type"])
            running = state is not None and state.lower() in PROVISIONING_RUNNING
            observed = Observed() if running else observe(kube, p["namespace"])
            report = decide(expected, observed, state, events_per_object=p["events"],
                            azure_failure=extension_failure(extension))
            failed = state is not None and state.lower() in ("failed", "canceled")
            if report["passed"] or failed or clock() >= deadline:
                break
            sleep(min(p["wait_sleep"], max(deadline - clock(), 0)))
    except KubeError as exc:
        azure.fail(str(exc))
    except CollectionError as exc:
        azure.fail_error(exc)
    waited = int(clock() - started)
    timed_out = bool(p["wait"]) and not report["passed"] and not failed
    if running:
        report["message"] = (f"provisioningState is still {state} after {waited} s; the cluster is read once the "
                             "operation ends. " + report["message"])
    elif timed_out:
        report["message"] = f"Not ready after {waited} s (wait_timeout={p['wait_timeout']}): " + report["message"]
    return dict(
        changed=False,
        cluster={"name": p["cluster_name"], "type": p["cluster_type"], "resource_group": p.get("resource_group")},
        extension={"name": p["name"], "provisioning_state": state, "settings_from": "azure" if given is None else "option",
                   "extension_type": (extension or {}).get("properties", {}).get("extensionType"),
                   "error": (extension_failure(extension) or (None,))[0] or None},
        expected=[table.to_dict(c) for c in expected],
        waited=waited, timed_out=timed_out, **report)


def run(azure: Any) -> NoReturn:
    """The module's whole run: the report, or one clear failure."""
    azure.exit(**apply(azure))
