# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runners/components: decide() over plain objects as the API server returns them; apply() with fakes."""
from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import components as table
from ansible_collections.azureml.kubernetes.plugins.module_utils.kube import KubeError
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners import components as runner

EXT = "azureml"
TRAINING = {"enableTraining": "True"}
INFERENCE = {"enableInference": "True", "inferenceRouterHA": "false"}


# --- builders of objects as a real cluster shows them
def deployment(name, replicas=1, ready=None, generation=1):
    ready = replicas if ready is None else ready
    status = {"observedGeneration": generation, "replicas": replicas, "readyReplicas": ready or None,
              "availableReplicas": ready or None, "updatedReplicas": replicas}
    if replicas - ready:
        status["unavailableReplicas"] = replicas - ready
    return {"metadata": {"name": name, "namespace": "azureml", "generation": generation},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}}, "status": status}


def daemonset(name, nodes=3, ready=None):
    ready = nodes if ready is None else ready
    return {"metadata": {"name": name, "namespace": "azureml", "generation": 1},
            "spec": {"selector": {"matchLabels": {"app": name}}},
            "status": {"desiredNumberScheduled": nodes, "updatedNumberScheduled": nodes, "numberReady": ready,
                       "observedGeneration": 1, **({"numberUnavailable": nodes - ready} if nodes - ready else {})}}


def statefulset(name, replicas=1, ready=None):
    ready = replicas if ready is None else ready
    return {"metadata": {"name": name, "namespace": "azureml", "generation": 1},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "updateStrategy": {"type": "RollingUpdate"}},
            "status": {"observedGeneration": 1, "replicas": replicas, "readyReplicas": ready,
                       "updatedReplicas": replicas, "currentRevision": "r1", "updateRevision": "r1"}}


def pod(name, app, phase="Running", ready=True, **status):
    body = {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [{"name": "c", "ready": ready, "state": {"running": {}}}]}
    body.update(status)
    return {"metadata": {"name": name, "namespace": "azureml", "labels": {"app": app}},
            "spec": {"nodeName": "node-1"}, "status": body}


def pending(name, app, message="0/3 nodes are available: 3 Insufficient cpu."):
    return {"metadata": {"name": name, "namespace": "azureml", "labels": {"app": app}}, "spec": {},
            "status": {"phase": "Pending", "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}]}}


def event(obj_kind, obj_name, reason, message, when, type_="Warning"):
    return {"involvedObject": {"kind": obj_kind, "name": obj_name}, "reason": reason, "message": message,
            "lastTimestamp": when, "type": type_, "count": 1}


def healthy(settings, cluster_type="managedClusters", nodes=3):
    """Observed objects of a healthy install of these settings."""
    seen = runner.Observed()
    for c in table.expected(settings, EXT, cluster_type):
        if c.kind == table.DAEMONSET:
            obj = daemonset(c.name, nodes)
            count = nodes
        elif c.kind == table.STATEFULSET:
            obj, count = statefulset(c.name, c.replicas), c.replicas
        else:
            obj, count = deployment(c.name, c.replicas), c.replicas
        seen.workloads[(c.kind, c.name)] = obj
        seen.pods += [pod(f"{c.name}-{i}", c.name) for i in range(count)]
    seen.healthcheck = {"metadata": {"name": "arcml-healthcheck"}, "data": {"pre-install.status": "passed"}}
    return seen


def decide(settings, seen, state="Succeeded", cluster_type="managedClusters"):
    return runner.decide(table.expected(settings, EXT, cluster_type), seen, state)


# --- decide()
def test_healthy_install_passes():
    report = decide(INFERENCE, healthy(INFERENCE))
    assert report["passed"] and report["ready"]
    assert report["pods_not_running"] == []
    assert all(c["ready"] and c["reason"] is None and c["events"] == [] for c in report["components"])
    assert report["healthcheck"]["passed"] is True
    n = len(report["components"])
    assert report["message"] == f"{n} of {n} components ready. health check passed."


def test_scaled_to_zero_is_not_ready():
    seen = healthy(INFERENCE)
    seen.workloads[("Deployment", "azureml-fe-v2")] = deployment("azureml-fe-v2", replicas=0)
    seen.pods = [p for p in seen.pods if not p["metadata"]["name"].startswith("azureml-fe-v2")]
    report = decide(INFERENCE, seen)
    fe = next(c for c in report["components"] if c["name"] == "azureml-fe-v2")
    assert (fe["present"], fe["ready"], fe["reason"]) == (True, False, "scaled to 0 replicas (expected 1)")
    assert not report["passed"]
    assert "not ready: azureml-fe-v2 (Deployment): scaled to 0 replicas (expected 1)" in report["message"]


def test_missing_component_is_named():
    seen = healthy(TRAINING)
    del seen.workloads[("Deployment", "gateway")]
    report = decide(TRAINING, seen)
    gateway = next(c for c in report["components"] if c["name"] == "gateway")
    assert gateway == {**gateway, "present": False, "ready": False, "reason": "missing: no Deployment azureml/gateway"}
    n = len(report["components"])
    assert report["message"].startswith(f"{n - 1} of {n} components ready. missing from azureml: gateway. ")


def test_pending_pod_gives_the_scheduler_reason_and_events():
    seen = healthy(TRAINING)
    seen.workloads[("Deployment", "aml-operator")] = deployment("aml-operator", replicas=1, ready=0)
    seen.pods = [p for p in seen.pods if not p["metadata"]["name"].startswith("aml-operator")]
    seen.pods.append(pending("aml-operator-7d9-abc", "aml-operator"))
    seen.events = [
        event("Pod", "aml-operator-7d9-abc", "FailedScheduling", "0/3 nodes are available: 3 Insufficient cpu.",
              "2026-12-01T08:01:00Z"),
        event("ReplicaSet", "aml-operator-7d9", "SuccessfulCreate", "Created pod: aml-operator-7d9-abc",
              "2026-12-01T08:00:00Z", "Normal"),
        event("Pod", "gateway-0", "Pulled", "ok", "2026-12-01T08:00:30Z", "Normal"),
    ]
    report = decide(TRAINING, seen)
    op = next(c for c in report["components"] if c["name"] == "aml-operator")
    assert op["reason"] == ("0/1 replicas ready; pod aml-operator-7d9-abc Pending, Unschedulable: "
                            "0/3 nodes are available: 3 Insufficient cpu.")
    assert [e["reason"] for e in op["events"]] == ["SuccessfulCreate", "FailedScheduling"]
    [bad] = report["pods_not_running"]
    assert bad["name"] == "aml-operator-7d9-abc" and bad["component"] == "aml-operator"
    assert (bad["phase"], bad["reason"]) == ("Pending", "Unschedulable")
    assert [e["reason"] for e in bad["events"]] == ["FailedScheduling"]
    assert "pods not Running: aml-operator-7d9-abc Pending (Unschedulable: 0/3 nodes" in report["message"]


def test_events_are_the_last_ones_oldest_first():
    events = [event("Pod", "p", f"R{i}", "m", f"2026-12-01T08:0{i}:00Z") for i in range(7)]
    got = runner.events_about(list(reversed(events)), {"p"}, 3)
    assert [e["reason"] for e in got] == ["R4", "R5", "R6"]
    assert runner.events_about(events, {"p"}, 0) == []


def test_unready_daemonset():
    seen = healthy(TRAINING)
    seen.workloads[("DaemonSet", "fluent-bit")] = daemonset("fluent-bit", nodes=3, ready=2)
    seen.pods[-1] = pod("fluent-bit-x", "fluent-bit", ready=False, containerStatuses=[
        {"name": "c", "ready": False, "state": {"waiting": {
            "reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}}}])
    report = decide(TRAINING, seen)
    fb = next(c for c in report["components"] if c["name"] == "fluent-bit")
    assert fb["reason"].startswith("2/3 pods ready; pod fluent-bit-x Running, CrashLoopBackOff: back-off")
    assert report["pods_not_running"][0]["reason"] == "CrashLoopBackOff"


def test_daemonset_on_no_node():
    seen = healthy(TRAINING)
    seen.workloads[("DaemonSet", "fluent-bit")] = daemonset("fluent-bit", nodes=0)
    fb = next(c for c in decide(TRAINING, seen)["components"] if c["name"] == "fluent-bit")
    assert not fb["ready"] and "runs on no node" in fb["reason"]


def test_unready_statefulset_without_pods():
    seen = healthy(TRAINING)
    seen.workloads[("StatefulSet", "prometheus-prom-prometheus")] = statefulset("prometheus-prom-prometheus", 1, 0)
    seen.pods = [p for p in seen.pods if not p["metadata"]["name"].startswith("prometheus")]
    prom = next(c for c in decide(TRAINING, seen)["components"] if c["name"] == "prometheus-prom-prometheus")
    assert prom["reason"] == "0/1 replicas ready; no pod created yet"


def test_rollout_in_progress():
    seen = healthy(TRAINING)
    seen.workloads[("Deployment", "gateway")] = deployment("gateway", generation=2)
    seen.workloads[("Deployment", "gateway")]["status"]["observedGeneration"] = 1
    gw = next(c for c in decide(TRAINING, seen)["components"] if c["name"] == "gateway")
    assert gw["reason"] == "1/1 replicas ready; rollout in progress"


def test_provisioning_not_succeeded_fails():
    report = decide(TRAINING, healthy(TRAINING), state="Failed")
    assert not report["passed"] and report["ready"]
    assert report["message"].startswith("provisioningState is Failed, not Succeeded.")


def test_without_azure_state_components_decide():
    assert decide(TRAINING, healthy(TRAINING), state=None)["passed"]


def test_failed_healthcheck_fails_with_hints():
    seen = healthy(INFERENCE)
    seen.healthcheck = {"data": {"pre-install": json.dumps({
        "status": "failed", "code": "E40002", "message": "INSUFFICIENT_NODE: 2 nodes", "time": "2026-12-01T08:00:00Z"})}}
    report = decide(INFERENCE, seen)
    health = report["healthcheck"]
    assert (health["present"], health["passed"], health["codes"]) == (True, False, ["E40002"])
    assert health["phase"] == "pre-install"
    assert health["hints"][0].startswith("E40002 INSUFFICIENT_NODE")
    assert health["summary"] == "failed (pre-install): E40002 INSUFFICIENT_NODE: 2 nodes"
    assert not report["passed"]
    assert "health check failed (pre-install): E40002 INSUFFICIENT_NODE: 2 nodes (E40002 INSUFFICIENT_NODE" in \
        report["message"]


def test_pod_of_no_component_still_counts():
    seen = healthy(TRAINING)
    seen.pods.append(pending("healthcheck", "healthcheck", "0/3 nodes are available: 3 node(s) had untolerated taint."))
    report = decide(TRAINING, seen)
    assert report["ready"] and not report["passed"]
    assert report["pods_not_running"][0]["component"] is None


# --- pod_problem()
@pytest.mark.parametrize("status, want", [
    ({"phase": "Succeeded"}, None),
    ({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}, None),
    ({"phase": "Running"}, None),
    ({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}, ("NotReady", "containers not ready")),
    ({"phase": "Pending", "containerStatuses": [{"ready": False, "state": {"waiting": {
        "reason": "ImagePullBackOff", "message": "Back-off pulling image"}}}]}, ("ImagePullBackOff", "Back-off pulling image")),
    ({"phase": "Running", "containerStatuses": [{"ready": False, "state": {"terminated": {
        "reason": "OOMKilled", "exitCode": 137}}}]}, ("OOMKilled", "exit code 137")),
    ({"phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory."},
     ("Evicted", "The node was low on resource: memory.")),
    ({"phase": "Pending"}, ("Pending", "")),
    ({"phase": "Unknown"}, ("Unknown", "")),
    ({}, ("Unknown", "")),
])
def test_pod_problem(status, want):
    got = runner.pod_problem({"metadata": {"name": "p"}, "status": status})
    assert (got if got is None else (got["reason"], got["message"])) == want


def test_terminating_pod():
    got = runner.pod_problem({"metadata": {"name": "p", "deletionTimestamp": "2026-12-01T08:00:00Z"},
                              "status": {"phase": "Running"}})
    assert got["reason"] == "Terminating"


def test_long_messages_are_cut():
    got = runner.pod_problem({"metadata": {"name": "p"}, "status": {"phase": "Failed", "reason": "X",
                                                                    "message": "m" * 5000}})
    assert len(got["message"]) == runner.MAX_TEXT and got["message"].endswith("...")


# --- healthcheck_verdict()
def _phase(status, time=None, code=None, message=""):
    return json.dumps({"status": status, "code": code, "message": message, "time": time})


@pytest.mark.parametrize("data, passed, codes", [
    # The extension's form: one JSON entry per hook; the latest decides.
    ({"pre-install": _phase("passed", "2026-12-01T08:00:00Z")}, True, []),
    ({"pre-install": _phase("failed", "2026-12-01T08:00:00Z", "E45004", "AZUREML_FE_ROLE_CONFLICT")}, False,
     ["E45004"]),
    ({"pre-install": _phase("failed", "2026-12-01T08:00:00Z", "InstallationFailed", "invalid ownership metadata")},
     False, ["InstallationFailed"]),
    ({"pre-install": _phase("failed", "2026-12-01T08:00:00Z", "E40002"),
      "pre-upgrade": _phase("passed", "2026-12-01T09:00:00Z")}, True, []),
    ({"pre-install": _phase("passed", "2026-12-01T08:00:00Z"),
      "pre-upgrade": _phase("failed", "2026-12-01T09:00:00Z", "E45002")}, False, ["E45002"]),
    ({"pre-install": _phase("passed"), "pre-delete": _phase("failed", code="E40003")}, False, ["E40003"]),
    # Other forms.
    ({"pre-install.status": "passed"}, True, []),
    ({"status": "Success"}, True, []),
    ({"pre-install": '{"status": "failed", "code": "E45004"}'}, False, ["E45004"]),
    ({"pre-upgrade.result": "Failed"}, False, []),
    ({"notes": "checked"}, None, []),
    ({}, None, []),
    ({"pre-install": "E45005 AZUREML_FE_DEPLOYMENT_CONFLICT", "pre-delete": "E40002"}, False, ["E40002", "E45005"]),
])
def test_healthcheck_verdict(data, passed, codes):
    got = runner.healthcheck_verdict({"data": data})
    assert (got["present"], got["passed"], got["codes"]) == (True, passed, codes)
    assert len(got["hints"]) == len([c for c in codes if c.startswith("E4")])


def test_healthcheck_absent():
    got = runner.healthcheck_verdict(None)
    assert (got["present"], got["passed"], got["summary"]) == (False, None, "no arcml-healthcheck ConfigMap in azureml")


# --- apply(): the loop, with a fake Azure and a fake cluster
class Exit(Exception):
    pass


class FakeAzure:
    def __init__(self, **params):
        self.params = dict(cluster_type="managedClusters", cluster_name="aks1", resource_group="rg", name=EXT,
                           settings=None, namespace="azureml", wait=False, wait_timeout=60, wait_sleep=5, events=5)
        self.params.update(params)
        self.failed = None

    def fail(self, msg, **extra):
        self.failed = msg
        raise Exit(msg)

    def fail_error(self, error, **extra):
        self.fail(error.message)

    def hide(self, *secrets):
        self.hidden = secrets


class FakeKube:
    def __init__(self, states):
        self.states = list(states)  # one Observed per poll; the last repeats
        self.reads = 0

    def _now(self):
        return self.states[min(self.reads, len(self.states) - 1)]

    def list(self, kind, namespace, api_version="v1", **_):
        seen = self._now()
        if kind == "Pod":
            return copy.deepcopy(seen.pods)
        if kind == "Event":
            return copy.deepcopy(seen.events)
        return [copy.deepcopy(o) for (k, _n), o in seen.workloads.items() if k == kind]

    def get(self, kind, name, namespace, api_version="v1"):
        seen = self._now()
        self.reads += 1
        return copy.deepcopy(seen.healthcheck)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def extension(state="Succeeded", settings=None):
    return {"name": EXT, "properties": {"provisioningState": state, "extensionType": "Microsoft.AzureML.Kubernetes",
                                        "configurationSettings": settings if settings is not None else TRAINING}}


def run(azure, kube, states):
    states = list(states)
    clock = Clock()

    def read(_azure, _params):
        return states.pop(0) if len(states) > 1 else states[0]

    return runner.apply(azure, kube=kube, read=read, clock=clock, sleep=clock.sleep), clock


def test_apply_reads_settings_from_azure():
    result, _clock = run(FakeAzure(), FakeKube([healthy(TRAINING)]), [extension()])
    assert result["passed"] and result["changed"] is False
    assert result["extension"] == {"name": EXT, "provisioning_state": "Succeeded", "settings_from": "azure",
                                   "extension_type": "Microsoft.AzureML.Kubernetes", "error": None}
    assert [c["name"] for c in result["expected"]] == [c["name"] for c in result["components"]]
    assert (result["waited"], result["timed_out"]) == (0, False)


def test_apply_with_settings_option_skips_azure():
    def read(*_):
        raise AssertionError("Azure must not be read")

    azure = FakeAzure(settings=INFERENCE, resource_group=None)
    result = runner.apply(azure, kube=FakeKube([healthy(INFERENCE)]), read=read)
    assert result["passed"] and result["extension"]["settings_from"] == "option"
    assert result["provisioning_state"] is None


def test_apply_not_installed():
    azure = FakeAzure()
    with pytest.raises(Exit):
        run(azure, FakeKube([healthy(TRAINING)]), [None])
    assert azure.failed.startswith("Extension azureml is not installed on managedClusters/aks1 in resource group rg")
    assert "azureml.kubernetes.aml_extension" in azure.failed


def test_apply_kube_error_is_one_message():
    class Broken(FakeKube):
        def list(self, *a, **k):
            raise KubeError("Context x for cluster aks1 is not in ~/.kube/config.")

    azure = FakeAzure()
    with pytest.raises(Exit):
        run(azure, Broken([]), [extension()])
    assert azure.failed == "Context x for cluster aks1 is not in ~/.kube/config."


def test_apply_waits_through_pending_then_for_components():
    broken = healthy(TRAINING)
    broken.workloads[("Deployment", "gateway")] = deployment("gateway", replicas=1, ready=0)
    kube = FakeKube([broken, broken, healthy(TRAINING)])
    result, clock = run(FakeAzure(wait=True), kube, [extension("Pending"), extension("Creating"), extension()])
    assert result["passed"] and not result["timed_out"]
    assert kube.reads == 3  # the cluster is read only once the operation has ended
    assert clock.now == 5 * 4


def test_apply_times_out_naming_what_is_wrong():
    broken = healthy(TRAINING)
    broken.workloads[("Deployment", "gateway")] = deployment("gateway", replicas=0)
    result, clock = run(FakeAzure(wait=True, wait_timeout=12), FakeKube([broken]), [extension()])
    assert result["timed_out"] and not result["passed"]
    assert result["message"].startswith("Not ready after 12 s (wait_timeout=12): ")
    assert "gateway (Deployment): scaled to 0 replicas" in result["message"]
    assert clock.now == 12


def test_apply_stops_at_a_failed_install():
    result, clock = run(FakeAzure(wait=True), FakeKube([healthy(TRAINING)]), [extension("Failed")])
    assert not result["passed"] and not result["timed_out"] and clock.now == 0


def test_apply_failed_install_says_what_azure_reported():
    failed = extension("Failed")
    failed["properties"]["statuses"] = [{"code": "E40002", "message": "INSUFFICIENT_NODE: 2 nodes", "level": "Error"}]
    seen = runner.Observed()  # nothing was installed
    result, _clock = run(FakeAzure(), FakeKube([seen]), [failed])
    assert result["extension"]["error"] == "E40002: INSUFFICIENT_NODE: 2 nodes"
    assert result["message"].startswith("provisioningState is Failed, not Succeeded: E40002: INSUFFICIENT_NODE: 2 nodes "
                                        "(E40002 INSUFFICIENT_NODE: inferenceRouterHA needs at least three nodes.")
    n = len(result["components"])
    assert f"0 of {n} components ready. missing from azureml: gateway, aml-operator, " in result["message"]


def test_apply_still_running_at_timeout():
    result, _clock = run(FakeAzure(wait=True, wait_timeout=10), FakeKube([healthy(TRAINING)]), [extension("Updating")])
    assert result["message"].startswith("provisioningState is still Updating after 10 s")
    assert not result["passed"] and result["timed_out"]


def test_apply_bad_poll_options():
    azure = FakeAzure(wait_sleep=0)
    with pytest.raises(Exit):
        run(azure, FakeKube([healthy(TRAINING)]), [extension()])
    assert azure.failed.startswith("wait_sleep must be at least 1 (got 0)")


def test_apply_masks_an_inline_kubeconfig():
    kubeconfig = {"apiVersion": "v1", "users": [{"name": "u", "user": {"token": "s3cret-token"}}]}
    azure = FakeAzure(kubeconfig=kubeconfig)
    run(azure, FakeKube([healthy(TRAINING)]), [extension()])
    assert azure.hidden == ("s3cret-token",)


def test_result_matches_the_module_return_docs():
    """Every key the run returns is documented with its type, and every documented key is returned."""
    from tests.integration.test_return_docs import compare, return_docs

    broken = healthy(TRAINING)
    broken.workloads[("Deployment", "aml-operator")] = deployment("aml-operator", replicas=1, ready=0)
    broken.pods.append(pending("aml-operator-7d9-abc", "aml-operator"))
    broken.events = [event("Pod", "aml-operator-7d9-abc", "FailedScheduling", "0/3 nodes", "2026-12-01T08:01:00Z")]
    broken.healthcheck = {"data": {"pre-install": json.dumps({"status": "failed", "code": "E40002", "message": "m",
                                                             "time": "2026-12-01T08:00:00Z"})}}
    result, _clock = run(FakeAzure(), FakeKube([broken]), [extension()])
    operator = next(c for c in result["components"] if c["name"] == "aml-operator")
    assert result["pods_not_running"][0]["events"] and operator["events"]
    assert compare(result, return_docs("aml_components_info.py"), "aml_components_info") == []
