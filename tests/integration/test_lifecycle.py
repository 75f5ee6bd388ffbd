"""Create, idempotency, a one-setting update, delete and delete again, on AKS."""

from tests.support.plays import EXTENSION_INFO, POC_CONFIG, play, target, task


def test_create_then_second_run_changes_nothing(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(node_count=2)
    args = dict(target(cluster), config=POC_CONFIG)
    first = run_playbook(play(task("install", **args)))
    installed = first.task("install")
    assert installed["changed"] is True, first.stdout
    extension = installed["extension"]
    assert extension["provisioning_state"] == "Succeeded"
    assert extension["settings"]["inferenceRouterHA"] == "false"
    assert extension["settings"]["clusterPurpose"] == "DevTest"  # 2 nodes: the CLI's heuristic
    assert extension["settings"]["domain"] == "eastus.cloudapp.azure.com"
    assert any("InferenceRouterHA" in w for w in installed.get("warnings", []))
    writes = sandbox.requests_for(cluster["name"], writes_only=True)
    assert [w["method"] for w in writes] == ["PUT"]

    second = run_playbook(play(task("install again", **args)))
    again = second.task("install again")
    assert again["changed"] is False, second.stdout
    assert sandbox.requests_for(cluster["name"], writes_only=True) == writes


def test_update_of_one_setting_sends_one_patch(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    args = dict(target(cluster), config=POC_CONFIG)
    assert run_playbook(play(task("install", **args))).task("install")["changed"] is True
    writes_before = len(sandbox.requests_for(cluster["name"], writes_only=True))

    updated = {**args, "config": dict(POC_CONFIG, inferenceRouterServiceType="NodePort")}
    run = run_playbook(play(task("switch to NodePort", **updated)))
    result = run.task("switch to NodePort")
    assert result["changed"] is True, run.stdout
    assert "inferenceRouterServiceType" in result["changed_settings"]
    writes = sandbox.requests_for(cluster["name"], writes_only=True)[writes_before:]
    assert [w["method"] for w in writes] == ["PATCH"]
    patch = writes[0]["request_body"]["properties"]
    assert patch["configurationSettings"]["scoringFe.serviceType.nodePort"] == "True"
    # The current upgrade properties travel explicitly, never the SDK's defaults.
    assert patch["autoUpgradeMinorVersion"] is True
    assert patch["releaseTrain"].lower() == "stable"
    assert "configurationProtectedSettings" not in patch


def test_delete_then_delete_again(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    args = target(cluster)
    run_playbook(play(task("install", **args, config=POC_CONFIG)))
    run = run_playbook(play(
        task("remove", **args, state="absent"),
        task("remove again", **args, state="absent"),
        task("show", EXTENSION_INFO, **args),
    ))
    assert run.task("remove")["changed"] is True
    assert run.task("remove again")["changed"] is False
    assert run.task("show")["extensions"] == []
    deletes = [w for w in sandbox.requests_for(cluster["name"], writes_only=True) if w["method"] == "DELETE"]
    assert len(deletes) == 1


def test_forced_delete_sends_force_delete(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    args = target(cluster)
    run_playbook(play(task("install", **args, config=POC_CONFIG)))
    run = run_playbook(play(task("force remove", **args, state="absent", force=True)))
    assert run.task("force remove")["changed"] is True
    delete = [w for w in sandbox.requests_for(cluster["name"], writes_only=True) if w["method"] == "DELETE"][0]
    assert {k.lower(): v for k, v in delete["query"].items()}.get("forcedelete") in ("true", "True")


def test_removing_from_a_missing_cluster_warns(sandbox, run_playbook):
    args = dict(cluster_type="managedClusters", cluster_name="it-no-such-cluster", resource_group="rg-it",
                name="azureml")
    result = run_playbook(play(task("remove", **args, state="absent"))).task("remove")
    assert result["changed"] is False
    assert any("it-no-such-cluster" in w and "does not exist" in w for w in result["warnings"])
