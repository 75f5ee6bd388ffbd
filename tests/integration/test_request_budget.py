"""The request budget of aml_extension, counted in the sandbox's request log (ARM requests only; the token and
cloud-metadata requests are another layer's): a no-change converge reads at most 2 resources per cluster (the
extension and, on Arc, the Relay rule; the cluster only when the extension lacks a setting computed from it) and
writes nothing; a provider registration is read only when something is to be created, never on no-change,
update or delete. Each cluster lives in a subscription of its own, so the provider reads it causes are its own."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.plays import play, target, task

TRAINING = {"enableTraining": True}
READ_BUDGET = 2


def arm_requests(sandbox, subscription_id: str, since: int) -> list[dict[str, Any]]:
    return [e for e in sandbox.requests(kind="arm", since=since) if subscription_id in e["path"]]


def provider_reads(entries: list[dict[str, Any]]) -> list[str]:
    """GETs of a provider registration (…/providers/<namespace>, not a resource under it)."""
    return [e["path"].rsplit("/", 1)[-1] for e in entries
            if e["method"] == "GET" and e["path"].split("/")[-2] == "providers" and e["path"].count("/") == 4]


def reads(entries: list[dict[str, Any]]) -> list[str]:
    return [e["path"] for e in entries if e["method"] == "GET"]


def writes(entries: list[dict[str, Any]]) -> list[str]:
    return [f"{e['method']} {e['path']}" for e in entries if e["method"] != "GET"]


@pytest.fixture(params=["managedClusters", "connectedClusters"])
def cluster(request, sandbox):
    subscription_id = sandbox.seed_subscription()
    seeded = sandbox.seed_cluster(request.param, subscription_id=subscription_id)
    return seeded


def converge(sandbox, run_playbook, cluster: dict[str, Any], title: str, **args: Any):
    """Run one aml_extension task; return (its result, the ARM requests of the cluster's subscription)."""
    since = sandbox.last_seq()
    options = dict(target(cluster), subscription_id=cluster["subscription_id"], **{"config": TRAINING, **args})
    run = run_playbook(play(task(title, **options)))
    return run.task(title), arm_requests(sandbox, cluster["subscription_id"], since)


def test_requests_per_cluster_for_create_no_change_update_and_delete(sandbox, run_playbook, cluster):
    result, log = converge(sandbox, run_playbook, cluster, "create")
    assert result["changed"] is True, result
    assert "Microsoft.KubernetesConfiguration" in provider_reads(log)  # something is created: the provider is read
    if cluster["cluster_type"] == "connectedClusters":
        assert "Microsoft.Relay" in provider_reads(log)
    assert [w.split(" ")[0] for w in writes(log)].count("PUT") >= 1

    result, log = converge(sandbox, run_playbook, cluster, "no change")
    assert result["changed"] is False and result["actions"] == [], result
    assert writes(log) == []
    assert len(reads(log)) <= READ_BUDGET, reads(log)
    assert provider_reads(log) == []
    assert any(path.endswith("/extensions/azureml") for path in reads(log))
    # The cluster is not read: the extension holds what was computed from it.
    cluster_path = f"/{cluster['cluster_type']}/{cluster['name']}".lower()
    assert not any(path.lower().endswith(cluster_path) for path in reads(log)), reads(log)
    assert result["cluster"]["location"] == "eastus" and result["cluster"]["name"] == cluster["name"]

    result, log = converge(sandbox, run_playbook, cluster, "update", config={**TRAINING, "installVolcano": False})
    assert result["changed"] is True and result["changed_settings"] == ["installVolcano"], result
    assert [w.split(" ")[0] for w in writes(log)] == ["PATCH"]
    assert provider_reads(log) == []
    # An update reads the cluster, so the node-count and OpenShift heuristics see the cluster as it is now.
    assert any(path.lower().endswith(cluster_path) for path in reads(log)), reads(log)
    assert result["cluster"]["node_count"] == 3

    result, log = converge(sandbox, run_playbook, cluster, "delete", state="absent")
    assert result["changed"] is True, result
    assert [w.split(" ")[0] for w in writes(log)] == ["DELETE"]
    assert provider_reads(log) == []


def test_no_change_on_an_extension_missing_a_computed_setting_reads_the_cluster(sandbox, run_playbook):
    """An extension another tool installed without `location` (say): the cluster is read to compute it, which
    is a change (a PATCH of it), after which the budget holds again."""
    subscription_id = sandbox.seed_subscription()
    cluster = sandbox.seed_cluster(subscription_id=subscription_id)
    result, _log = converge(sandbox, run_playbook, cluster, "create")
    assert result["changed"] is True
    path = result["extension"]["id"]
    settings = {k: v for k, v in result["extension"]["settings"].items() if k != "jobSchedulerLocation"}
    response = sandbox.arm("PUT", path, {"properties": {
        "extensionType": "Microsoft.AzureML.Kubernetes", "autoUpgradeMinorVersion": True, "releaseTrain": "stable",
        "scope": {"cluster": {"releaseNamespace": "azureml"}}, "configurationSettings": settings}},
        api_version="2023-05-01")
    assert response.status_code in (200, 201), response.text
    sandbox_wait_succeeded(sandbox, path)

    result, log = converge(sandbox, run_playbook, cluster, "converge")
    assert result["changed"] is True and result["changed_settings"] == ["jobSchedulerLocation"], result
    assert any(p.lower().endswith(f"/managedclusters/{cluster['name']}".lower()) for p in reads(log))
    assert provider_reads(log) == []

    result, log = converge(sandbox, run_playbook, cluster, "no change")
    assert result["changed"] is False and writes(log) == [] and len(reads(log)) <= READ_BUDGET, reads(log)


def sandbox_wait_succeeded(sandbox, path: str) -> None:
    """Wait (bounded) until the extension's operation has ended, as aml_extension's wait would."""
    import time

    for _attempt in range(240):
        state = sandbox.arm("GET", path, api_version="2023-05-01").json()["properties"].get("provisioningState")
        if state in ("Succeeded", "Failed"):
            assert state == "Succeeded"
            return
        time.sleep(0.5)
    raise AssertionError(f"{path} still {state}")
