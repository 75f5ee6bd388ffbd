"""Diff mode shows settings before and after, with protected values masked."""

from tests.support.plays import POC_CONFIG, play, target, task


def test_diff_of_an_update_shows_before_and_after(sandbox, run_playbook):
    cluster = sandbox.seed_cluster()
    args = target(cluster)
    run_playbook(play(task("install", **args, config=POC_CONFIG)))
    run = run_playbook(play(task("update", **args, config=dict(POC_CONFIG, inferenceRouterServiceType="ClusterIP"))),
                       diff=True, check=True)
    diff = run.task("update")["diff"]
    assert diff["before"]["settings"]["inferenceRouterServiceType"] == "loadBalancer"
    assert diff["after"]["settings"]["inferenceRouterServiceType"] == "clusterIP"
    assert "inferenceRouterServiceType" in run.task("update")["changed_settings"]


def test_diff_of_a_create_masks_protected_values(sandbox, run_playbook, tls_files):
    cluster = sandbox.seed_cluster()
    config = {"enableInference": True, "inferenceRouterServiceType": "loadBalancer", "sslCname": "ml.contoso.com"}
    protected = {"sslCertPemFile": str(tls_files.cert), "sslKeyPemFile": str(tls_files.key)}
    run = run_playbook(play(task("install", **target(cluster), config=config, config_protected=protected)),
                       diff=True, check=True)
    result = run.task("install")
    after = result["diff"]["after"]
    assert set(after["protected_settings"]) == {"scoringFe.sslCert", "scoringFe.sslKey"}
    assert set(after["protected_settings"].values()) == {"********"}
    assert tls_files.key_b64 not in run.stdout
    assert result["diff"]["before"] == {}
