"""aml_components_info against the sandbox's real clusters: an install through aml_extension, then its components.

Each seeded cluster has a real control plane (sandbox/kube) whose context in the sandbox's kubeconfig is
named after the cluster, and the agent creates what the chart would on install. The bad-input cases
(a context not in the kubeconfig, an API server that does not answer, a forbidden read, an extension not
installed) each give one message naming the cluster and the fix.

Its Kubernetes helpers live in tests/support/kube.py.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.support.kube import free_port, kube_api, kube_target, kubeconfig_copy, scale
from tests.support.plays import POC_CONFIG, play, target, task

COMPONENTS_INFO = "azureml.kubernetes.aml_components_info"
TRAINING_CONFIG = {"enableTraining": "True"}


def install(cluster: dict[str, Any], config: dict[str, str] = POC_CONFIG) -> dict[str, Any]:
    return task("install", **target(cluster), config=config)


def components_info(title: str, cluster: dict[str, Any], kube: dict[str, str], **args: Any) -> dict[str, Any]:
    options = dict(target(cluster), **kube)
    options.update(args)
    return task(title, COMPONENTS_INFO, ignore_errors=True, **options)


# --- an install and its components
def test_aks_install_has_every_component_ready(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    run = run_playbook(play(install(cluster),
                            components_info("components", cluster, kube, wait=True, wait_timeout=300, wait_sleep=2)))
    result = run.task("components")
    assert result["passed"] is True, result.get("message") or result.get("msg")
    assert result["provisioning_state"] == "Succeeded" and result["changed"] is False
    names = {c["name"] for c in result["components"]}
    # POC_CONFIG: training and inference on AKS, one router replica.
    assert {"gateway", "aml-operator", "azureml-fe-v2", "volcano-scheduler", "fluent-bit",
            "prometheus-prom-prometheus", "azureml-kube-state-metrics"} <= names
    assert "relayserver" not in names
    assert all(c["ready"] and c["present"] for c in result["components"])
    fe = next(c for c in result["components"] if c["name"] == "azureml-fe-v2")
    assert fe["replicas"] == 1 and fe["ready_replicas"] == 1
    assert result["pods_not_running"] == []
    assert result["healthcheck"]["present"] and result["healthcheck"]["passed"] is True


def test_arc_training_has_relayserver(sandbox, run_playbook):
    cluster = sandbox.seed_cluster("connectedClusters", distribution="k3s")
    kube = kube_target(sandbox, cluster)
    run = run_playbook(play(install(cluster, TRAINING_CONFIG),
                            components_info("components", cluster, kube, wait=True, wait_timeout=300, wait_sleep=2)))
    result = run.task("components")
    assert result["passed"] is True, result.get("message") or result.get("msg")
    names = [c["name"] for c in result["components"]]
    assert "relayserver" in names and "aml-operator" in names
    assert not any(n.startswith("amlarc-identity") or n == "azureml-fe-v2" for n in names)


def test_scaled_to_zero_is_named(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    assert run_playbook(play(install(cluster))).returncode == 0
    scale(sandbox, cluster, "azureml-fe-v2", 0)
    run = run_playbook(play(components_info("components", cluster, kube)))
    result = run.task("components")
    assert result["passed"] is False and result["ready"] is False
    fe = next(c for c in result["components"] if c["name"] == "azureml-fe-v2")
    assert (fe["present"], fe["ready"], fe["reason"]) == (True, False, "scaled to 0 replicas (expected 1)")
    assert "azureml-fe-v2 (Deployment): scaled to 0 replicas" in result["message"]


def test_check_mode_reads_only(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    assert run_playbook(play(install(cluster))).returncode == 0
    since = sandbox.last_seq()
    run = run_playbook(play(components_info("components", cluster, kube, wait=True, wait_timeout=300,
                                            wait_sleep=2)), check=True)
    assert run.task("components")["passed"] is True
    assert sandbox.writes(cluster["name"], since=since) == []


def test_settings_option_skips_azure(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    assert run_playbook(play(install(cluster))).returncode == 0
    since = sandbox.last_seq()
    run = run_playbook(play(components_info("components", cluster, kube, settings=POC_CONFIG, wait=True,
                                            wait_timeout=300, wait_sleep=2)))
    result = run.task("components")
    assert result["passed"] is True and result["provisioning_state"] is None
    assert result["extension"]["settings_from"] == "option"
    assert sandbox.requests(cluster["name"], since=since) == []


# --- bad input: one clear message each, never a stack trace
def _failure(run, title="components") -> str:
    result = run.task(title)
    assert result.get("failed") is True, result
    assert "Traceback (most recent call last)" not in str(result)  # Ansible's own "(traceback unavailable)" is fine
    return result["msg"]


def test_context_not_in_kubeconfig(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    run = run_playbook(play(install(cluster),
                            components_info("components", cluster, {**kube, "context": "no-such-context"})))
    msg = _failure(run)
    assert msg.startswith(f"Context no-such-context for cluster {cluster['name']} is not in {kube['kubeconfig']}")
    assert cluster["name"] in msg.split("(it has:")[1] and "K8S_AUTH_CONTEXT" in msg


def test_unreachable_api_server(sandbox, run_playbook, tmp_path):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    server = f"https://127.0.0.1:{free_port()}"
    dead = kubeconfig_copy(Path(kube["kubeconfig"]), cluster["name"], tmp_path / "dead.yaml", server=server)
    run = run_playbook(play(install(cluster),
                            components_info("components", cluster, {**kube, "kubeconfig": str(dead)})))
    msg = _failure(run)
    assert msg.startswith(f"Cannot reach the API server of cluster {cluster['name']} (context {cluster['name']}, "
                          f"API server {server})")
    assert "Check that the cluster is running" in msg


def test_forbidden_read(sandbox, run_playbook, tmp_path):
    import kubernetes

    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    core = kubernetes.client.CoreV1Api(kube_api(sandbox, cluster))
    account = f"reader-{uuid.uuid4().hex[:6]}"  # a service account no role is bound to
    core.create_namespaced_service_account("default", {"metadata": {"name": account}})
    token = core.create_namespaced_service_account_token(
        account, "default", {"spec": {"expirationSeconds": 3600}}).status.token
    reader = kubeconfig_copy(Path(kube["kubeconfig"]), cluster["name"], tmp_path / "reader.yaml", token=token)
    run = run_playbook(play(install(cluster),
                            components_info("components", cluster, {**kube, "kubeconfig": str(reader)})))
    msg = _failure(run)
    assert msg.startswith(f"Forbidden: the identity of cluster {cluster['name']} (context {cluster['name']}")
    assert f"system:serviceaccount:default:{account}" in msg
    assert "Role and RoleBinding" in msg


def test_extension_not_installed(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    run = run_playbook(play(components_info("components", cluster, kube)))
    msg = _failure(run)
    assert msg.startswith(f"Extension azureml is not installed on managedClusters/{cluster['name']} in resource "
                          f"group {cluster['resource_group']}")
    assert "azureml.kubernetes.aml_extension" in msg
