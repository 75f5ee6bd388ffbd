"""aml_extension refuses PEM files the certificate checker refuses (an expired certificate, an sslCname the
certificate does not cover, a chain out of order, ...) with the setting and the fix, before any write to Azure;
an update that brings such files is refused too, and the installed extension stays as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import pki
from tests.support.plays import play, target, task

HTTPS = {"enableInference": True, "inferenceRouterServiceType": "LoadBalancer", "sslCname": "ml.contoso.com",
         "inferenceRouterHA": False}


def _out_of_order(folder: Path) -> pki.PemPair:
    root = pki.ca("Contoso Root CA")
    issuing = pki.ca("Contoso Issuing CA", issuer=root)
    leaf = pki.issue("ml.contoso.com", issuer=issuing)
    return pki.PemPair(pki.write(folder, "order-cert.pem", pki.cert_pem(leaf.cert, root.cert, issuing.cert)),
                       pki.write(folder, "order-key.pem", leaf.key_pem()))


CASES = {
    "expired": (lambda d: pki.write_pair(d, expired=True, common_name="ml.contoso.com", dns_names=("ml.contoso.com",)),
                "sslCertPemFile: the certificate expired on "),
    "not yet valid": (lambda d: pki.write_pair(d, not_yet_valid=True, common_name="ml.contoso.com",
                                               dns_names=("ml.contoso.com",)),
                      "sslCertPemFile: the certificate is not valid before "),
    "uncovered cname": (lambda d: pki.write_pair(d, common_name="contoso.com", dns_names=("*.a.contoso.com", "contoso.com")),
                        "sslCname 'ml.contoso.com' is not covered by the certificate in sslCertPemFile"),
    "out of order": (_out_of_order, "sslCertPemFile: the chain is out of order"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_refused_certificate_fails_before_any_write(sandbox, run_playbook, tmp_path, case):
    make, expected = CASES[case]
    files = make(tmp_path)
    cluster = sandbox.seed_cluster()
    run = run_playbook(play(task("install", **target(cluster), config=HTTPS, config_protected=files.protected())))
    result = run.task("install")
    assert result.get("failed") is True, run.stdout[-3000:]
    assert expected in result["msg"], result["msg"]
    assert "E40007" in result["msg"]
    assert sandbox.requests_for(cluster["name"], writes_only=True) == []
    assert "PRIVATE KEY" not in run.stdout and files.key_b64 not in run.stdout


def test_an_update_with_an_expired_certificate_changes_nothing(sandbox, run_playbook, tmp_path):
    cluster = sandbox.seed_cluster()
    good = pki.write_pair(tmp_path / "good", common_name="ml.contoso.com", dns_names=("ml.contoso.com",))
    expired = pki.write_pair(tmp_path / "expired", expired=True, common_name="ml.contoso.com",
                             dns_names=("ml.contoso.com",))
    run = run_playbook(play(task("install", **target(cluster), config=HTTPS, config_protected=good.protected())))
    assert run.task("install").get("failed") is not True, run.stdout[-3000:]
    since = sandbox.last_seq()
    run = run_playbook(play(task("rotate", **target(cluster), config=HTTPS, config_protected=expired.protected(),
                                 update_protected="always")))
    result = run.task("rotate")
    assert result.get("failed") is True and "expired on" in result["msg"]
    assert sandbox.writes(cluster["name"], since=since) == []
