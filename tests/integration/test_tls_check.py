"""aml_tls_check: the checker's verdict on files and inline content, and on the sslSecret in a real sandbox
cluster (type, keys, certificate, whether it holds the pair given); it never fails on a verdict and never shows
key material. Skips while the sandbox runs no control planes."""

from __future__ import annotations

import base64
from typing import Any

from tests.support.kube import kube_api, kube_target
from test_role_tls import CNAME, assert_no_pem, good_pair, pki_fingerprint

from tests.support import pki
from tests.support.plays import play, task

CHECK = "azureml.kubernetes.aml_tls_check"


def check(title: str, **args: Any) -> dict[str, Any]:
    return task(title, CHECK, ignore_errors=True, **args)


def test_files_and_content_verdicts(run_playbook, tmp_path):
    good = good_pair(tmp_path / "good")
    near = pki.write_pair(tmp_path / "near", common_name=CNAME, dns_names=(CNAME,), days_valid=7)
    wildcard = pki.write_pair(tmp_path / "wild", common_name="contoso.com", dns_names=("*.contoso.com",))
    locked = pki.write_pair(tmp_path / "pw", passphrase=b"pw", common_name=CNAME, dns_names=(CNAME,))
    run = run_playbook(play(
        check("good", certificate_file=good.cert, private_key_file=good.key, cname=CNAME),
        check("content", certificate_content=good.cert_bytes.decode(), private_key_content=good.key_bytes.decode(),
              cname=CNAME),
        check("near", certificate_file=near.cert, private_key_file=near.key, cname=CNAME, expiry_warning_days=14),
        check("one label", certificate_file=wildcard.cert, private_key_file=wildcard.key, cname=CNAME),
        check("two labels", certificate_file=wildcard.cert, private_key_file=wildcard.key, cname="a.b.contoso.com"),
        check("locked", certificate_file=locked.cert, private_key_file=locked.key),
        check("no key", certificate_file=good.cert),
    ))
    result = run.task("good")
    assert result["ok"] is True and result["changed"] is False and result["source"] == "files"
    assert result["subject"] == "CN=ml.contoso.com" and result["dns_names"] == [CNAME]
    assert result["chain_length"] == 3 and 88 <= result["days_left"] <= 90
    assert result["fingerprint_sha256"] == pki_fingerprint(good) and result["problems"] == []
    assert result["not_before"] < result["not_after"] and result["secret"] is None
    content = run.task("content")
    assert content["ok"] is True and content["source"] == "content"
    assert content["fingerprint_sha256"] == result["fingerprint_sha256"]
    near_result = run.task("near")
    assert near_result["ok"] is True and "expires on" in near_result["cautions"][0]
    assert run.task("one label")["ok"] is True
    two = run.task("two labels")
    assert two["ok"] is False and two.get("failed") is not True
    assert two["problems"][0].startswith("cname 'a.b.contoso.com' is not covered by the certificate in certificate_file")
    assert run.task("locked")["problems"][0].startswith("private_key_file is protected by a passphrase")
    assert run.task("no key")["msg"].startswith("the certificate is given without its key")
    assert_no_pem(run.stdout, good, near, wildcard, locked)


def test_the_secret_in_the_cluster(sandbox, run_playbook, tmp_path):
    import kubernetes

    cluster = sandbox.seed_cluster()
    kube = kube_target(sandbox, cluster)
    core = kubernetes.client.CoreV1Api(kube_api(sandbox, cluster))
    installed, other = good_pair(tmp_path / "a"), good_pair(tmp_path / "b")
    core.create_namespace({"metadata": {"name": "azureml"}})
    core.create_namespaced_secret("azureml", {"metadata": {"name": "azureml-tls"}, "type": "Opaque", "data": {
        "cert.pem": base64.b64encode(installed.cert_bytes).decode(),
        "key.pem": base64.b64encode(installed.key_bytes).decode()}})
    core.create_namespaced_secret("azureml", {"metadata": {"name": "wrong-keys"}, "type": "Opaque", "data": {
        "tls.crt": base64.b64encode(installed.cert_bytes).decode()}})
    run = run_playbook(play(
        check("secret alone", secret_name="azureml-tls", cname=CNAME, **kube),
        check("same pair", certificate_file=installed.cert, private_key_file=installed.key, secret_name="azureml-tls",
              cname=CNAME, **kube),
        check("other pair", certificate_file=other.cert, private_key_file=other.key, secret_name="azureml-tls", **kube),
        check("wrong keys", secret_name="wrong-keys", **kube),
        check("missing", secret_name="nope", **kube),
    ))
    alone = run.task("secret alone")
    assert alone["ok"] is True and alone["source"] == "secret"
    assert alone["fingerprint_sha256"] == pki_fingerprint(installed)
    assert alone["secret"]["type"] == "Opaque" and alone["secret"]["data_keys"] == ["cert.pem", "key.pem"]
    assert alone["secret"]["certificate"]["subject"] == "CN=ml.contoso.com"
    assert run.task("same pair")["secret"]["matches"] is True
    assert run.task("other pair")["secret"]["matches"] is False and run.task("other pair")["ok"] is True
    wrong = run.task("wrong keys")
    assert wrong["ok"] is False
    assert "has no key cert.pem and key.pem (it has: tls.crt)" in wrong["problems"][0]
    missing = run.task("missing")
    assert missing["ok"] is False and missing["secret"]["exists"] is False
    assert missing["problems"][0].startswith("Secret azureml/nope does not exist")
    assert_no_pem(run.stdout, installed, other)
