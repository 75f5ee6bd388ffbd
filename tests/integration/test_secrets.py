"""Protected values never show: not in results, diffs, warnings, -vvvv output, nor the sandbox's log."""

from tests.support.plays import play, target, task


def test_pem_content_never_appears_even_at_vvvv(sandbox, run_playbook, tls_files):
    cluster = sandbox.seed_cluster()
    config = {"enableTraining": True, "enableInference": True, "inferenceRouterServiceType": "LoadBalancer",
              "sslCname": "ml.contoso.com"}
    protected = {"sslCertPemFile": str(tls_files.cert), "sslKeyPemFile": str(tls_files.key)}
    run = run_playbook(play(task("install", **target(cluster), config=config, config_protected=protected)),
                       diff=True, verbosity=4, stdout_callback="default")
    assert run.returncode == 0, run.stdout[-3000:]
    output = run.stdout + run.stderr
    key_body = tls_files.key_bytes.decode().splitlines()[1]
    for secret in (tls_files.key_b64, tls_files.cert_b64, key_body):
        assert secret not in output
    put = [e for e in sandbox.requests_for(cluster["name"], writes_only=True) if e["method"] == "PUT"][0]
    sent = put["request_body"]["properties"]
    assert sent["configurationProtectedSettings"] == {"scoringFe.sslCert": "***", "scoringFe.sslKey": "***"}
    # Local paths are never sent, in either map.
    assert "sslCertPemFile" not in sent["configurationSettings"]
    assert str(tls_files.cert) not in str(put)
    assert sent["configurationSettings"]["sslCname"] == "ml.contoso.com"


def test_relay_secret_never_appears_even_at_vvvv(sandbox, run_playbook):
    cluster = sandbox.seed_cluster("connectedClusters", node_count=4)
    run = run_playbook(play(task("install", **target(cluster), config={"enableTraining": True})),
                       diff=True, verbosity=4, stdout_callback="default")
    assert run.returncode == 0, run.stdout[-3000:]
    output = run.stdout + run.stderr
    assert "SharedAccessKey=" not in output
    assert "servicebus.windows.net" not in output
    keys = sandbox.control("GET", "requests", method="POST", path_contains="listKeys")["value"]
    assert keys and all("***" in str(entry["response_body"]) for entry in keys)
