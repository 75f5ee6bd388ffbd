"""Check mode reads only: no write reaches Azure, and the result says what would happen."""

from tests.support.plays import POC_CONFIG, play, target, task


def test_check_mode_create_sends_no_write(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    run = run_playbook(play(task("install", **target(cluster), config=POC_CONFIG)), check=True)
    result = run.task("install")
    assert result["changed"] is True, run.stdout
    assert any(a.startswith("create extension azureml") for a in result["actions"])
    assert sandbox.requests_for(cluster["name"], writes_only=True) == []
    assert all(e["method"] == "GET" for e in sandbox.requests_for(cluster["name"]))


def test_check_mode_update_and_delete_send_no_write(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    args = target(cluster)
    run_playbook(play(task("install", **args, config=POC_CONFIG)))
    writes = sandbox.requests_for(cluster["name"], writes_only=True)
    run = run_playbook(play(
        task("update", **args, config=dict(POC_CONFIG, installNvidiaDevicePlugin=True)),
        task("remove", **args, state="absent"),
    ), check=True)
    assert run.task("update")["changed"] is True
    assert run.task("update")["changed_settings"] == ["installNvidiaDevicePlugin"]
    assert run.task("remove")["changed"] is True
    assert sandbox.requests_for(cluster["name"], writes_only=True) == writes


def test_check_mode_on_unregistered_subscription_registers_nothing(sandbox, run_playbook):
    subscription = sandbox.seed_subscription("Microsoft.KubernetesConfiguration")
    cluster = sandbox.seed_cluster(subscription_id=subscription)
    run = run_playbook(play(task("install", **target(cluster), config=POC_CONFIG, subscription_id=subscription)),
                       check=True)
    result = run.task("install")
    assert result["changed"] is True, run.stdout
    assert "register resource provider Microsoft.KubernetesConfiguration" in result["actions"]
    assert sandbox.requests_for(subscription, writes_only=True) == []


def test_check_mode_arc_create_touches_no_relay_resource(sandbox, run_playbook):
    cluster = sandbox.seed_cluster("connectedClusters", node_count=4)
    run = run_playbook(play(task("install", **target(cluster), config={"enableTraining": True})), check=True,
                       diff=True)
    result = run.task("install")
    assert result["changed"] is True, run.stdout
    assert any(a.startswith("ensure Azure Relay namespace") for a in result["actions"])
    assert set(result["diff"]["after"]["protected_settings"]) == {"relayServerConnectionString",
                                                                  "relayserver.relayConnectionString"}
    relay_calls = [e for e in sandbox.control("GET", "requests", path_contains="Microsoft.Relay")["value"]
                   if cluster["name"].lower() in e["path"].lower()]
    assert all(e["method"] == "GET" for e in relay_calls)
    assert sandbox.requests_for(cluster["name"], writes_only=True) == []
