"""Role verify against the sandbox's real clusters: install through aml_extension, verify passes; break a
component through the Kubernetes API and verify fails naming it; it runs unchanged in check mode; the
bad-input cases come back in verify_result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_components_info import install

from tests.support.kube import free_port, kube_target, kubeconfig_copy, scale

from tests.support.plays import POC_CONFIG, play


def verify(title: str, cluster: dict[str, Any], kube: dict[str, str], **variables: Any) -> dict[str, Any]:
    role_vars = {"verify_cluster_type": cluster["cluster_type"], "verify_cluster_name": cluster["name"],
                 "verify_resource_group": cluster["resource_group"], "verify_kubeconfig": kube["kubeconfig"],
                 "verify_context": kube["context"], "verify_timeout": 300, "verify_poll_interval": 2}
    role_vars.update(variables)
    # apply: the role's own failing task is ignored, so the play goes on to show verify_result.
    return {"name": title, "vars": role_vars,
            "ansible.builtin.include_role": {"name": "azureml.kubernetes.verify", "apply": {"ignore_errors": True}}}


def show(title: str = "result") -> dict[str, Any]:
    return {"name": title, "ansible.builtin.debug": {"var": "verify_result"}}


def result_of(run, title: str = "result") -> dict[str, Any]:
    return run.task(title)["verify_result"]


def _role_failure(run) -> str:
    """The message of the role's failing task (the json callback names it after the role and the task)."""
    for play_ in run.output.get("plays", []):
        for entry in play_["tasks"]:
            if entry["task"]["name"].endswith("Fail with what is wrong"):
                failed = entry["hosts"]["localhost"]
                assert failed.get("failed") is True, failed
                return failed["msg"]
    raise AssertionError(f"the role did not fail:\n{run.stdout[-4000:]}")


def test_install_verify_passes_then_a_broken_component_fails_it(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    run = run_playbook(play(install(cluster), verify("verify", cluster, kube), show()))
    result = result_of(run)
    assert result["passed"] is True, result["message"]
    assert result["provisioning_state"] == "Succeeded"
    assert (result["cluster"], result["extension"]) == (cluster["name"], "azureml")
    assert all(set(c) == {"name", "kind", "ready", "reason"} and c["ready"] for c in result["components"])
    assert result["pods_not_running"] == [] and result["healthcheck"]["passed"] is True

    for component in ("azureml-fe-v2", "gateway"):
        scale(sandbox, cluster, component, 0)
        run = run_playbook(play(verify("verify", cluster, kube, verify_timeout=6), show()))
        result = result_of(run)
        assert result["passed"] is False
        broken = next(c for c in result["components"] if c["name"] == component)
        assert broken == {"name": component, "kind": "Deployment", "ready": False,
                          "reason": "scaled to 0 replicas (expected 1)"}
        msg = _role_failure(run)
        assert msg.startswith(f"Verification of extension azureml on {cluster['name']} failed: ")
        assert f"{component} (Deployment): scaled to 0 replicas" in msg
        scale(sandbox, cluster, component, 1)


def test_verify_fail_false_only_registers(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    assert run_playbook(play(install(cluster))).returncode == 0
    scale(sandbox, cluster, "azureml-fe-v2", 0)
    run = run_playbook(play(verify("verify", cluster, kube, verify_timeout=4, verify_fail=False), show()))
    assert run.returncode == 0
    result = result_of(run)
    assert result["passed"] is False and "azureml-fe-v2" in result["message"]


def test_check_mode_runs_unchanged(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    assert run_playbook(play(install(cluster))).returncode == 0
    since = sandbox.last_seq()
    run = run_playbook(play(verify("verify", cluster, kube), show()), check=True)
    assert result_of(run)["passed"] is True
    assert sandbox.writes(cluster["name"], since=since) == []


def test_not_installed_is_reported(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    run = run_playbook(play(verify("verify", cluster, kube, verify_fail=False), show()))
    result = result_of(run)
    assert result["passed"] is False and result["components"] == []
    assert result["message"].startswith(f"Extension azureml is not installed on managedClusters/{cluster['name']}")


def test_bad_context_and_dead_api_server_are_reported(sandbox, run_playbook, tmp_path):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    assert run_playbook(play(install(cluster))).returncode == 0
    dead = kubeconfig_copy(Path(kube["kubeconfig"]), cluster["name"], tmp_path / "dead.yaml",
                           server=f"https://127.0.0.1:{free_port()}")
    run = run_playbook(play(
        verify("bad context", cluster, {**kube, "context": "nope"}, verify_fail=False), show("after bad context"),
        verify("dead server", cluster, {**kube, "kubeconfig": str(dead)}, verify_fail=False), show("after dead"),
    ))
    bad = result_of(run, "after bad context")
    assert bad["passed"] is False
    assert bad["message"].startswith(f"Context nope for cluster {cluster['name']} is not in")
    dead_result = result_of(run, "after dead")
    assert dead_result["passed"] is False
    assert dead_result["message"].startswith(f"Cannot reach the API server of cluster {cluster['name']}")
    assert "Traceback" not in json.dumps([bad, dead_result])


def test_failed_install_reports_the_health_check(sandbox, run_playbook):
    # inferenceRouterHA needs three nodes: the health check fails the install with E40002.
    cluster = sandbox.seed_cluster(node_count=2)
    kube = kube_target(sandbox, cluster)
    config = {**POC_CONFIG, "InferenceRouterHA": "True"}
    failed_install = {**install(cluster, config), "ignore_errors": True}
    run = run_playbook(play(failed_install, verify("verify", cluster, kube, verify_fail=False), show()))
    assert run.task("install").get("failed") is True
    result = result_of(run)
    assert result["passed"] is False and result["provisioning_state"] == "Failed"
    assert result["message"].startswith("provisioningState is Failed, not Succeeded: ")
    assert "E40002 INSUFFICIENT_NODE" in result["message"]  # what Azure reported, with the documented fix
    assert "0 of " in result["message"] and "missing from azureml: gateway, " in result["message"]
    health = result["healthcheck"]
    if health["present"]:  # the extension's own health check, when the cluster holds its verdict
        assert (health["passed"], health["codes"]) == (False, ["E40002"])
        assert "health check failed (pre-install): E40002" in result["message"]
    assert all(not c["ready"] and c["reason"].startswith("missing: no ") for c in result["components"])


def test_install_on_too_small_nodes_reports_the_cluster_health_check(sandbox, run_playbook):
    # Three nodes of 250m CPU: the documented requests (1910m for training and inference) do not fit, which the
    # health check finds in the cluster and records in arcml-healthcheck.
    cluster = sandbox.seed_cluster(node_count=3, nodes=[{"count": 3, "cpu": "250m", "memory": "8Gi"}])
    kube = kube_target(sandbox, cluster)
    failed_install = {**install(cluster), "ignore_errors": True}
    run = run_playbook(play(failed_install, verify("verify", cluster, kube, verify_fail=False), show()))
    assert run.task("install").get("failed") is True
    result = result_of(run)
    assert result["passed"] is False and result["provisioning_state"] == "Failed"
    health = result["healthcheck"]
    assert (health["present"], health["passed"], health["phase"]) == (True, False, "pre-install"), health
    assert health["codes"] and health["summary"].startswith("failed (pre-install): ")
    assert health["summary"] in result["message"]
