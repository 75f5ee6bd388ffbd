"""The documentation's four scenario commands, as aml_extension tasks, install and send what the CLI sends."""

from tests.support.plays import play, target, task


def sent_put(sandbox, cluster):
    return [e for e in sandbox.requests_for(cluster["name"], writes_only=True)
            if e["method"] == "PUT" and "KubernetesConfiguration" in e["path"]][0]["request_body"]


def common_injected(cluster, cluster_id_suffix):
    return {
        "cluster_name_friendly": cluster["name"],
        "location": "eastus",
        "jobSchedulerLocation": "eastus",
        "domain": "eastus.cloudapp.azure.com",
        "servicebus.enabled": "false",
    }


def test_aks_proof_of_concept(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(node_count=3)
    config = {"enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "LoadBalancer",
              "allowInsecureConnections": "True", "InferenceRouterHA": "False"}
    run = run_playbook(play(task("install", **target(cluster), config=config)))
    assert run.task("install")["extension"]["provisioning_state"] == "Succeeded", run.stdout
    body = sent_put(sandbox, cluster)
    settings = body["properties"]["configurationSettings"]
    for key, value in common_injected(cluster, "managedClusters").items():
        assert settings[key] == value, key
    assert settings["inferenceRouterHA"] == "false"  # the doc's InferenceRouterHA, which the CLI ignores
    assert settings["relayserver.enabled"] == "false"
    assert settings["nginxIngress.enabled"] == "true"
    assert settings["clusterId"].endswith(f"/managedClusters/{cluster['name']}")
    assert settings["prometheus.prometheusSpec.externalLabels.cluster_name"] == settings["clusterId"]
    assert body["properties"]["scope"] == {"cluster": {"releaseNamespace": "azureml"}}
    assert body["properties"]["releaseTrain"] == "stable"
    assert "identity" not in body


def test_arc_training_only(sandbox, run_playbook):
    cluster = sandbox.seed_cluster("connectedClusters", node_count=4)
    run = run_playbook(play(task("install", **target(cluster), config={"enableTraining": "True"})))
    assert run.task("install")["extension"]["provisioning_state"] == "Succeeded", run.stdout
    settings = sent_put(sandbox, cluster)["properties"]["configurationSettings"]
    assert settings["enableTraining"] == "True" and settings["enableInference"] == "False"
    assert settings["relayserver.enabled"] == "true"
    assert settings["nginxIngress.enabled"] == "false"


def test_aks_production_https(sandbox, run_playbook, tls_files):
    cluster = sandbox.seed_cluster(node_count=4)
    config = {"enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "LoadBalancer",
              "sslCname": "ml.contoso.com"}
    protected = {"sslCertPemFile": str(tls_files.cert), "sslKeyPemFile": str(tls_files.key)}
    run = run_playbook(play(task("install", **target(cluster), config=config, config_protected=protected)))
    assert run.task("install")["extension"]["provisioning_state"] == "Succeeded", run.stdout
    body = sent_put(sandbox, cluster)["properties"]
    assert set(body["configurationProtectedSettings"]) == {"scoringFe.sslCert", "scoringFe.sslKey"}
    assert "inferenceRouterHA" not in body["configurationSettings"]  # four nodes: HA stays on


def test_arc_production_nodeport_gpu(sandbox, run_playbook, tls_files):
    cluster = sandbox.seed_cluster("connectedClusters", node_count=4)
    config = {"enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "NodePort",
              "sslCname": "ml.contoso.com", "installNvidiaDevicePlugin": "True", "installDcgmExporter": "True"}
    protected = {"sslCertPemFile": str(tls_files.cert), "sslKeyPemFile": str(tls_files.key)}
    run = run_playbook(play(task("install", **target(cluster), config=config, config_protected=protected)))
    assert run.task("install")["extension"]["provisioning_state"] == "Succeeded", run.stdout
    body = sent_put(sandbox, cluster)["properties"]
    assert body["configurationSettings"]["scoringFe.serviceType.nodePort"] == "True"
    assert body["configurationSettings"]["installNvidiaDevicePlugin"] == "True"
    assert set(body["configurationProtectedSettings"]) == {
        "scoringFe.sslCert", "scoringFe.sslKey", "relayServerConnectionString", "relayserver.relayConnectionString"}
