"""An Arc install creates (or reuses) the Azure Relay resources and sends their connection string protected."""

from tests.support.plays import EXTENSION_INFO, play, target, task


def relay_writes(sandbox, cluster):
    return [e for e in sandbox.control("GET", "requests")["value"]
            if "Microsoft.Relay" in e["path"] and e["method"] in ("PUT", "DELETE")
            and cluster["name"].replace("-", "").lower()[:10] in e["path"].lower()]


def test_arc_training_install_creates_relay_and_sends_its_connection_string(sandbox, run_playbook):
    cluster = sandbox.seed_cluster("connectedClusters", node_count=4, distribution="k3s")
    args = dict(target(cluster), config={"enableTraining": True})
    run = run_playbook(play(task("install", **args), task("again", **args)))
    result = run.task("install")
    assert result["changed"] is True, run.stdout
    assert any("Azure Relay namespace" in a for a in result["actions"])
    settings = result["extension"]["settings"]
    assert settings["relayserver.enabled"] == "true"
    assert settings["relayserver.hybridConnectionName"] == cluster["name"]
    assert "/hybridConnections/" in settings["relayserver.hybridConnectionResourceID"]
    assert settings["nginxIngress.enabled"] == "false"
    put = [e for e in sandbox.requests_for(cluster["name"], writes_only=True)
           if e["method"] == "PUT" and "KubernetesConfiguration" in e["path"]][0]
    protected = put["request_body"]["properties"]["configurationProtectedSettings"]
    assert protected["relayServerConnectionString"] == "***"
    assert put["request_body"]["identity"] == {"type": "SystemAssigned"}
    assert "SharedAccessKey=" not in run.stdout
    assert run.task("again")["changed"] is False


def test_arc_delete_with_delete_relay_removes_the_relay(sandbox, run_playbook):
    cluster = sandbox.seed_cluster("connectedClusters", node_count=4)
    args = target(cluster)
    run_playbook(play(task("install", **args, config={"enableTraining": True})))
    run = run_playbook(play(
        task("remove", **args, state="absent", delete_relay=True),
        task("remove again", **args, state="absent", delete_relay=True),
        task("list", EXTENSION_INFO, **{k: v for k, v in args.items() if k != "name"}),
    ))
    removed = run.task("remove")
    assert removed["changed"] is True, run.stdout
    assert any("hybrid connection" in a for a in removed["actions"])
    assert any("namespace" in a for a in removed["actions"])
    assert run.task("remove again")["changed"] is False
    assert run.task("list")["extensions"] == []
