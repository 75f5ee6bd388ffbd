"""The Azure Relay of an Arc install: complete protected updates, wait: false, drift, and check mode."""

from tests.support.plays import play, target, task

CONFIG = {"enableTraining": True, "enableInference": True, "inferenceRouterServiceType": "nodePort",
          "sslCname": "ml.contoso.com"}


def test_a_protected_update_on_arc_carries_the_relay_secret(sandbox, run_playbook, tls_files):
    cluster = sandbox.seed_cluster("connectedClusters", node_count=4)
    args = dict(target(cluster), config=CONFIG, update_protected="always",
                config_protected={"sslCertPemFile": str(tls_files.cert), "sslKeyPemFile": str(tls_files.key)})
    run = run_playbook(play(task("install", **args), task("resend", **args)), verbosity=0)
    assert run.task("resend")["changed"] is True, run.stdout
    patch = sandbox.requests_for(cluster["name"], writes_only=True)
    patch = [w for w in patch if w["method"] == "PATCH"][-1]["request_body"]["properties"]
    assert set(patch["configurationProtectedSettings"]) == {
        "scoringFe.sslCert", "scoringFe.sslKey", "relayServerConnectionString", "relayserver.relayConnectionString"}


def test_arc_install_without_waiting_still_waits_for_the_relay(sandbox, run_playbook):
    cluster = sandbox.seed_cluster("connectedClusters", node_count=4, provisioning_delay_seconds=1)
    run = run_playbook(play(task("install", **target(cluster), config={"enableTraining": True}, wait=False)))
    result = run.task("install")
    assert result["changed"] is True, run.stdout
    assert result["extension"]["provisioning_state"] == "Creating"


def test_a_deleted_hybrid_connection_is_recreated_and_the_secret_resent(sandbox, run_playbook):
    cluster = sandbox.seed_cluster("connectedClusters", node_count=4)
    args = dict(target(cluster), config={"enableTraining": True})
    run_playbook(play(task("install", **args)))
    hybrid_connection = run_playbook(play(task("look", **args))).task("look")["extension"]["settings"][
        "relayserver.hybridConnectionResourceID"]
    # Delete the hybrid connection behind the extension's back, as an operator might.
    deleted = sandbox.arm("DELETE", hybrid_connection, api_version="2024-01-01")
    assert deleted.status_code < 300, deleted.text
    run = run_playbook(play(task("repair", **args), task("again", **args)))
    repaired = run.task("repair")
    assert repaired["changed"] is True, run.stdout
    assert any("recreate" in a for a in repaired["actions"])
    patch = [w for w in sandbox.requests_for(cluster["name"], writes_only=True) if w["method"] == "PATCH"][-1]
    assert "relayServerConnectionString" in patch["request_body"]["properties"]["configurationProtectedSettings"]
    assert run.task("again")["changed"] is False


def test_check_mode_with_relay_unregistered_writes_nothing(sandbox, run_playbook):
    subscription = sandbox.seed_subscription("Microsoft.Relay")
    cluster = sandbox.seed_cluster("connectedClusters", node_count=4, subscription_id=subscription)
    args = dict(target(cluster), subscription_id=subscription)
    run = run_playbook(play(task("install", **args, config={"enableTraining": True}),
                            task("remove", **args, state="absent", delete_relay=True)), check=True)
    assert "register resource provider Microsoft.Relay" in run.task("install")["actions"], run.stdout
    assert run.task("remove")["changed"] is False
    assert sandbox.requests_for(subscription, writes_only=True) == []


def test_register_provider_false_refuses_an_unregistered_relay(sandbox, run_playbook):
    subscription = sandbox.seed_subscription("Microsoft.Relay")
    cluster = sandbox.seed_cluster("connectedClusters", node_count=4, subscription_id=subscription)
    result = run_playbook(play(task("install", **target(cluster), subscription_id=subscription,
                                    config={"enableTraining": True}, register_provider=False))).task("install")
    assert result.get("failed") is True
    assert "Microsoft.Relay" in result["msg"] and "register_provider" in result["msg"]


def test_a_deleted_authorization_rule_is_recreated(sandbox, run_playbook):
    cluster = sandbox.seed_cluster("connectedClusters", node_count=4)
    args = dict(target(cluster), config={"enableTraining": True})
    run = run_playbook(play(task("install", **args)))
    hybrid_connection = run.task("install")["extension"]["settings"]["relayserver.hybridConnectionResourceID"]
    deleted = sandbox.arm("DELETE", hybrid_connection + "/authorizationRules/azureml_rw", api_version="2024-01-01")
    assert deleted.status_code < 300, deleted.text
    run = run_playbook(play(task("repair", **args), task("again", **args)))
    assert run.task("repair")["changed"] is True, run.stdout
    assert any("authorization rule" in a for a in run.task("repair")["actions"])
    assert run.task("again")["changed"] is False


def test_check_mode_reports_the_relay_namespace_a_removal_would_delete(sandbox, run_playbook):
    cluster = sandbox.seed_cluster("connectedClusters", node_count=4)
    args = target(cluster)
    run_playbook(play(task("install", **args, config={"enableTraining": True})))
    predicted = run_playbook(play(task("remove", **args, state="absent", delete_relay=True)), check=True)
    actual = run_playbook(play(task("remove", **args, state="absent", delete_relay=True)))
    relay_actions = [a for a in predicted.task("remove")["actions"] if "Relay" in a]
    assert len(relay_actions) == 2, predicted.stdout  # the hybrid connection and the namespace
    assert relay_actions == [a for a in actual.task("remove")["actions"] if "Relay" in a]


def test_a_certain_failure_comes_before_any_relay_write(sandbox, run_playbook):
    subscription = sandbox.seed_subscription("Microsoft.KubernetesConfiguration")
    cluster = sandbox.seed_cluster("connectedClusters", node_count=4, subscription_id=subscription)
    result = run_playbook(play(task("install", **target(cluster), subscription_id=subscription,
                                    config={"enableTraining": True}, register_provider=False))).task("install")
    assert result.get("failed") is True and "Microsoft.KubernetesConfiguration" in result["msg"]
    assert sandbox.requests_for(subscription, writes_only=True) == []
