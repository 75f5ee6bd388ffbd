"""update_protected: when_changed notices a rotated certificate although Azure never returns it."""

from conftest import make_tls_files
from tests.support.plays import play, target, task


def test_rotated_certificate_is_sent_once_and_only_then(sandbox, run_playbook, tls_files, tmp_path):
    cluster = sandbox.seed_cluster()
    config = {"enableInference": True, "inferenceRouterServiceType": "loadBalancer", "sslCname": "ml.contoso.com"}
    args = dict(target(cluster), config=config,
                config_protected={"sslCertPemFile": str(tls_files.cert), "sslKeyPemFile": str(tls_files.key)})
    first = run_playbook(play(task("install", **args), task("again", **args)))
    assert first.task("install")["changed"] is True, first.stdout
    assert first.task("again")["changed"] is False, first.stdout
    fingerprint = first.task("install")["extension"]["settings"]["ansibleProtectedSettingsFingerprint"]
    assert fingerprint.startswith("pbkdf2-sha256$")
    writes = len(sandbox.requests_for(cluster["name"], writes_only=True))

    # Rotate: a new key pair written over the same paths.
    tls_files.replace_with(make_tls_files(tmp_path / "rotated"))

    second = run_playbook(play(task("rotate", **args), task("after rotation", **args)))
    result = second.task("rotate")
    assert result["changed"] is True, second.stdout
    patches = sandbox.requests_for(cluster["name"], writes_only=True)[writes:]
    assert [w["method"] for w in patches] == ["PATCH"]
    sent = patches[0]["request_body"]["properties"]
    assert set(sent["configurationProtectedSettings"]) == {"scoringFe.sslCert", "scoringFe.sslKey"}
    assert sent["configurationSettings"]["ansibleProtectedSettingsFingerprint"] != fingerprint
    assert second.task("after rotation")["changed"] is False


def test_on_create_never_resends(sandbox, run_playbook, tls_files, tmp_path):
    cluster = sandbox.seed_cluster()
    config = {"enableInference": True, "inferenceRouterServiceType": "loadBalancer", "sslCname": "ml.contoso.com"}
    args = dict(target(cluster), config=config, update_protected="on_create",
                config_protected={"sslCertPemFile": str(tls_files.cert), "sslKeyPemFile": str(tls_files.key)})
    assert run_playbook(play(task("install", **args))).task("install")["changed"] is True
    fresh = make_tls_files(tmp_path / "rotated")
    rotated = {**args, "config_protected": fresh.protected()}
    run = run_playbook(play(task("rotate", **rotated)))
    assert run.task("rotate")["changed"] is False, run.stdout
    # The only write is the install: the rotated pair is never sent.
    assert [w["method"] for w in sandbox.requests_for(cluster["name"], writes_only=True)] == ["PUT"]


def test_always_resends_every_run(sandbox, run_playbook, tls_files):
    cluster = sandbox.seed_cluster()
    config = {"enableInference": True, "inferenceRouterServiceType": "loadBalancer", "sslCname": "ml.contoso.com"}
    args = dict(target(cluster), config=config, update_protected="always",
                config_protected={"sslCertPemFile": str(tls_files.cert), "sslKeyPemFile": str(tls_files.key)})
    run = run_playbook(play(task("install", **args), task("again", **args)))
    assert run.task("again")["changed"] is True
    assert [w["method"] for w in sandbox.requests_for(cluster["name"], writes_only=True)] == ["PUT", "PATCH"]
