"""A failed install fails the task with errorInfo, statuses and the documented cause and fix."""

from tests.support.plays import play, target, task


def test_health_check_failure_reports_cause_and_fix(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(node_count=1)
    config = {"enableInference": True, "inferenceRouterServiceType": "loadBalancer",
              "allowInsecureConnections": True, "inferenceRouterHA": True}
    run = run_playbook(play(task("install", **target(cluster), config=config)))
    result = run.task("install")
    assert result.get("failed") is True, run.stdout
    assert "E40002" in result["msg"]
    assert "inferenceRouterHA: false" in result["msg"]  # the documented fix
    assert any("E40002" in w for w in result.get("warnings", []))  # we warned before sending
    extension = result["extension"]
    assert extension["provisioning_state"] == "Failed"
    assert extension["statuses"][0]["code"] == "E40002"
    assert extension["error_info"]["code"]
    assert "[HTTP" not in result["msg"]


def test_injected_failure_rule_surfaces_statuses(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    sandbox.control("POST", "failure_rules", {"cluster_name": cluster["name"], "code": "E45005",
                                              "message": "AZUREML_FE_DEPLOYMENT_CONFLICT: azureml-fe deployment exists"})
    run = run_playbook(play(task("install", **target(cluster), config={"enableTraining": True})))
    result = run.task("install")
    assert result.get("failed") is True, run.stdout
    assert "E45005" in result["msg"]
    assert "legacy azureml-fe cleanup" in result["msg"]
    assert result["extension"]["statuses"][0]["code"] == "E45005"
    assert any(h.startswith("E45005") for h in result["hints"])


def test_rerunning_after_a_failure_applies_the_settings_again(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    sandbox.control("POST", "failure_rules", {"cluster_name": cluster["name"], "code": "E45002",
                                              "setting_equals": {"installDcgmExporter": "True"},
                                              "message": "PROMETHEUS_CONFLICT"})
    failing = {"enableTraining": True, "installDcgmExporter": True}
    assert run_playbook(play(task("install", **target(cluster), config=failing))).task("install").get("failed")
    fixed = {"enableTraining": True, "installDcgmExporter": False}
    run = run_playbook(play(task("fix", **target(cluster), config=fixed), task("again", **target(cluster),
                                                                               config=fixed)))
    assert run.task("fix")["extension"]["provisioning_state"] == "Succeeded", run.stdout
    assert run.task("again")["changed"] is False
