"""Bad input fails with a message naming the setting and the fix, before any write to Azure."""

import pytest

from tests.support.plays import play, target, task

CASES = [
    ({"enableTraining": False}, "enableTraining"),
    ({"enableInference": True, "allowInsecureConnections": True}, "inferenceRouterServiceType"),
    ({"enableInference": True, "inferenceRouterServiceType": "loadBalancer"}, "allowInsecureConnections"),
    ({"enableInference": True, "inferenceRouterServiceType": "loadBalancer", "sslSecret": "tls"}, "sslCname"),
    ({"enableTraining": True, "enableInferense": True}, "enableInference"),
    ({"enableTraining": "maybe"}, "enableTraining"),
    ({"enableInference": True, "inferenceRouterServiceType": "nodePort", "allowInsecureConnections": True,
      "internalLoadBalancerProvider": "azure"}, "internalLoadBalancerProvider"),
]


@pytest.mark.parametrize(("config", "named"), CASES)
def test_invalid_config_fails_before_any_write(sandbox, run_playbook, config, named):
    cluster = sandbox.seed_cluster()
    run = run_playbook(play(task("install", **target(cluster), config=config)))
    result = run.task("install")
    assert result.get("failed") is True, run.stdout
    assert named in result["msg"]
    assert sandbox.requests_for(cluster["name"], writes_only=True) == []


def test_ilb_on_arc_is_refused(sandbox, run_playbook):
    cluster = sandbox.seed_cluster("connectedClusters")
    config = {"enableInference": True, "inferenceRouterServiceType": "loadBalancer",
              "allowInsecureConnections": True, "internalLoadBalancerProvider": "azure"}
    result = run_playbook(play(task("install", **target(cluster), config=config))).task("install")
    assert result.get("failed") is True
    assert "internalLoadBalancerProvider" in result["msg"]
    assert sandbox.requests_for(cluster["name"], writes_only=True) == []


def test_namespace_scope_is_refused_with_an_explanation(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    result = run_playbook(play(task("install", **target(cluster), config={"enableTraining": True},
                                    scope="namespace"))).task("install")
    assert result.get("failed") is True
    assert "cluster scope" in result["msg"]
    assert sandbox.requests_for(cluster["name"]) == []


def test_missing_cluster_names_the_cluster_and_the_fix(sandbox, run_playbook):
    args = dict(cluster_type="managedClusters", cluster_name="no-such-cluster", resource_group="rg-it",
                name="azureml")
    result = run_playbook(play(task("install", **args, config={"enableTraining": True}))).task("install")
    assert result.get("failed") is True
    assert "no-such-cluster" in result["msg"] and "cluster_type" in result["msg"]


def test_missing_pem_file_is_refused(sandbox, run_playbook, tmp_path):
    cluster = sandbox.seed_cluster()
    config = {"enableInference": True, "inferenceRouterServiceType": "loadBalancer", "sslCname": "ml.contoso.com"}
    protected = {"sslCertPemFile": str(tmp_path / "nope.pem"), "sslKeyPemFile": str(tmp_path / "nope.key")}
    run = run_playbook(play(task("install", **target(cluster), config=config, config_protected=protected)))
    result = run.task("install")
    assert result.get("failed") is True
    assert "sslCertPemFile" in result["msg"]
    assert sandbox.requests_for(cluster["name"], writes_only=True) == []


def test_unknown_keys_pass_only_when_allowed(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    config = {"enableTraining": True, "scoringFe.replicas": 5, "newFeature.enabled": True}
    refused = run_playbook(play(task("install", **target(cluster), config=config))).task("install")
    assert refused.get("failed") is True and "newFeature.enabled" in refused["msg"]
    config = {"enableTraining": True, "newFeature.enabled": True}
    run = run_playbook(play(task("install", **target(cluster), config=config, allow_unknown_settings=True)))
    allowed = run.task("install")
    assert allowed["changed"] is True, run.stdout
    assert allowed["extension"]["settings"]["newFeature.enabled"] == "True"
    assert any("newFeature.enabled" in w for w in allowed["warnings"])
