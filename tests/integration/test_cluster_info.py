"""aml_cluster_info against the sandbox's real clusters: the Azure side and the Kubernetes side in one call, and the
preflight items - a service-principal AKS refused; local accounts disabled without and with a Trusted Access
binding; pod identity and a custom kubelet identity warn; a cross-subscription workspace refused; an Arc cluster
not Connected; capacity from the real nodes; leftover Volcano CRDs; namespace azureml Terminating; bad input and
kube failures as one message naming the cluster. Read-only: no write reaches Azure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.kube import free_port, kube_target, kubeconfig_copy

from tests.support.plays import play, task

CLUSTER_INFO = "azureml.kubernetes.aml_cluster_info"
ROLE = "Microsoft.MachineLearningServices/workspaces/mlworkload"


def workspace(sandbox, name: str = "ws1", subscription: str | None = None) -> str:
    return (f"/subscriptions/{subscription or sandbox.subscription_id}/resourceGroups/rg-ml/providers/"
            f"Microsoft.MachineLearningServices/workspaces/{name}")


def info(title: str, cluster: dict[str, Any], kube: dict[str, str], **args: Any) -> dict[str, Any]:
    options = dict(cluster_type=cluster["cluster_type"], cluster_name=cluster["name"],
                   resource_group=cluster["resource_group"], kubeconfig=kube["kubeconfig"], context=kube["context"])
    options.update(args)
    return task(title, CLUSTER_INFO, ignore_errors=True, **options)


def items(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in result["checks"]}


def run_info(sandbox, run_playbook, cluster, **args) -> dict[str, Any]:
    kube = kube_target(sandbox, cluster)
    since = sandbox.last_seq()
    result = run_playbook(play(info("info", cluster, kube, **args))).task("info")
    assert sandbox.writes(cluster["name"], since=since) == []
    assert result.get("changed") is False, result
    return result


def test_a_default_aks_cluster(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    result = run_info(sandbox, run_playbook, cluster, sizing="test")
    assert result["passed"] is True, result["message"]
    got = items(result)
    assert got["identity"]["status"] == "pass" and got["kubelet_identity"]["kubelet_identity"] == "default"
    facts = result["cluster"]
    assert facts["name"] == cluster["name"] and facts["identity_type"] == "SystemAssigned"
    assert facts["kubernetes"]["nodes"] == 3 and facts["kubernetes"]["allocatable_cpu"] == "11580m"
    assert facts["trusted_access_bindings"] is None and facts["providers"]["Microsoft.KubernetesConfiguration"] == \
        "Registered"
    assert result["settings_adjustments"] == {}


def test_service_principal_aks_is_refused(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(identity_type="ServicePrincipal")
    result = run_info(sandbox, run_playbook, cluster)
    identity = items(result)["identity"]
    assert identity["status"] == "fail" and "recreate the node pools" in identity["fix"]
    assert result["passed"] is False and "identity" in result["failed_checks"]
    assert result["cluster"]["identity_type"] == "ServicePrincipal"


def test_local_accounts_disabled_without_and_with_trusted_access(sandbox, run_playbook):
    ws = workspace(sandbox)
    without = sandbox.seed_cluster(local_accounts=False)
    result = run_info(sandbox, run_playbook, without, workspace_id=ws)
    got = items(result)["local_accounts"]
    assert got["status"] == "fail" and "az aks trustedaccess rolebinding create" in got["fix"] and ws in got["fix"]
    assert result["cluster"]["trusted_access_bindings"] == []

    bound = sandbox.seed_cluster(local_accounts=False, trusted_access_bindings=[
        {"name": "ws1", "source_resource_id": ws}])
    result = run_info(sandbox, run_playbook, bound, workspace_id=ws)
    got = items(result)["local_accounts"]
    assert got["status"] == "pass" and "Trusted Access role binding ws1" in got["reason"]
    assert result["cluster"]["trusted_access_bindings"] == [{"name": "ws1", "source_resource_id": ws, "roles": [ROLE]}]
    # a binding for another workspace does not count
    result = run_info(sandbox, run_playbook, bound, workspace_id=workspace(sandbox, "ws2"))
    assert items(result)["local_accounts"]["status"] == "fail"


def test_pod_identity_custom_kubelet_and_cross_subscription(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(pod_identity=True, kubelet_identity="custom")
    other = workspace(sandbox, subscription="6b1e4d4a-0000-4000-8000-00000000ffff")
    result = run_info(sandbox, run_playbook, cluster, workspace_id=other)
    got = items(result)
    assert got["pod_identity"]["status"] == "warn"
    assert got["kubelet_identity"]["status"] == "warn" and result["cluster"]["kubelet_identity"] == "custom"
    assert got["subscription"]["status"] == "fail" and "az connectedk8s connect" in got["subscription"]["fix"]


def test_arc_offline_and_capacity_of_the_real_nodes(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(cluster_type="connectedClusters", connectivity_status="Offline",
                                   nodes=[{"count": 2, "cpu": "250m", "memory": "2Gi"}])
    result = run_info(sandbox, run_playbook, cluster, sizing="test")
    got = items(result)
    assert got["connectivity"]["status"] == "fail" and "Offline" in got["connectivity"]["reason"]
    assert got["capacity"]["status"] == "fail" and "500m CPU and 4096Mi allocatable on 2 nodes" in \
        got["capacity"]["reason"]
    assert got["inference_router_ha"]["status"] == "warn" and result["settings_adjustments"] == {
        "inferenceRouterHA": "False"}
    assert "provider/Microsoft.Relay" in got


def test_leftover_volcano_crds_and_terminating_namespace(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(situations=["volcano_crds", "azureml_terminating"])
    result = run_info(sandbox, run_playbook, cluster)
    got = items(result)
    assert got["helm_ownership"]["status"] == "fail" and "jobs.batch.volcano.sh" in got["helm_ownership"]["reason"]
    assert got["namespace"]["status"] == "fail" and "Terminating" in got["namespace"]["reason"]
    fixed = run_info(sandbox, run_playbook, cluster, fix_helm_ownership=True)
    assert any(a["name"] == "jobs.batch.volcano.sh" for a in fixed["actions"]["helm_ownership"])


def test_bad_input_and_kube_failures(sandbox, run_playbook, tmp_path):
    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    dead = kubeconfig_copy(Path(kube["kubeconfig"]), cluster["name"], tmp_path / "dead.yaml",
                           server=f"https://127.0.0.1:{free_port()}")
    run = run_playbook(play(
        info("bad context", cluster, {**kube, "context": "nope"}),
        info("dead", cluster, {**kube, "kubeconfig": str(dead)}),
        info("bad workspace", cluster, kube, workspace_id="ws1"),
        info("bad account", cluster, kube, openshift_extra_service_accounts=["nocolon"]),
        info("missing", {**cluster, "name": cluster["name"] + "-nope"}, kube),
    ))
    assert run.task("bad context")["msg"].startswith(f"Context nope for cluster {cluster['name']} is not in")
    assert run.task("dead")["msg"].startswith(f"Cannot reach the API server of cluster {cluster['name']}")
    assert "is not an Azure Machine Learning workspace id" in run.task("bad workspace")["msg"]
    assert cluster["name"] in run.task("bad workspace")["msg"]
    assert "<namespace>:<name>" in run.task("bad account")["msg"]
    assert "was not found" in run.task("missing")["msg"]
    assert all("Traceback" not in str(run.task(t)) for t in ("bad context", "dead", "bad workspace"))
