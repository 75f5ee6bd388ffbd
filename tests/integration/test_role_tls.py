"""Role tls against the sandbox's real clusters: each bad certificate is refused before any write; a good pair
creates the Opaque Secret (cert.pem, key.pem) in azureml, creating the namespace; a second run changes nothing;
a new pair rotates it (rotated: true, other keys kept); check mode writes nothing; diff mode shows fingerprints;
no PEM line appears in any output, even at -vvvv. Skips while the sandbox runs no control planes."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support import pki
from tests.support.kube import kube_api, kube_target
from tests.support.plays import play

CNAME = "ml.contoso.com"
SECRET = "azureml-tls"


class Cluster:
    """The Kubernetes side of a seeded cluster, as an operator would look at it (the official client)."""

    def __init__(self, sandbox, cluster: dict[str, Any]) -> None:
        import kubernetes

        self.k8s = kubernetes
        self.core = kubernetes.client.CoreV1Api(kube_api(sandbox, cluster))

    def secret(self, name: str = SECRET, namespace: str = "azureml"):
        try:
            return self.core.read_namespaced_secret(name, namespace)
        except self.k8s.client.ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def namespace(self, name: str = "azureml"):
        try:
            return self.core.read_namespace(name)
        except self.k8s.client.ApiException as exc:
            if exc.status == 404:
                return None
            raise


def tls_role(title: str, cluster: dict[str, Any], kube: dict[str, str], pair: pki.PemPair | None = None,
             **variables: Any) -> dict[str, Any]:
    role_vars: dict[str, Any] = {"tls_cname": CNAME, "tls_cluster_name": cluster["name"],
                                 "tls_kubeconfig": kube["kubeconfig"], "tls_context": kube["context"]}
    if pair is not None:
        role_vars.update(tls_cert_file=pair.cert, tls_key_file=pair.key)
    role_vars.update(variables)
    return {"name": title, "vars": role_vars,
            "ansible.builtin.include_role": {"name": "azureml.kubernetes.tls", "apply": {"ignore_errors": True}}}


def show(title: str = "result") -> dict[str, Any]:
    return {"name": title, "ansible.builtin.debug": {"var": "tls_result"}}


def result_of(run, title: str = "result") -> dict[str, Any]:
    return run.task(title)["tls_result"]


def good_pair(folder: Path, prefix: str = "tls") -> pki.PemPair:
    root = pki.ca("Contoso Root CA")
    issuing = pki.ca("Contoso Issuing CA", issuer=root)
    return pki.write_pair(folder, prefix=prefix, issuer=issuing, common_name=CNAME, dns_names=(CNAME,))


def pem_lines(*pairs: pki.PemPair) -> list[str]:
    lines = []
    for pair in pairs:
        for data in (pair.cert_bytes, pair.key_bytes):
            lines += [line for line in data.decode().splitlines() if line and not line.startswith("-----")]
    return lines


def assert_no_pem(text: str, *pairs: pki.PemPair) -> None:
    for pair in pairs:
        assert pair.key_b64 not in text and pair.cert_b64 not in text
    leaked = [line for line in pem_lines(*pairs) if len(line) >= 16 and line in text]
    assert leaked == [], f"{len(leaked)} PEM line(s) in the output"
    assert "PRIVATE KEY" not in text


@pytest.fixture
def target(sandbox):
    cluster = sandbox.seed_cluster()
    return cluster, kube_target(sandbox, cluster), Cluster(sandbox, cluster)


def test_create_then_no_change_then_rotation(sandbox, run_playbook, target, tmp_path):
    cluster, kube, k8s = target
    assert k8s.namespace() is None
    first = good_pair(tmp_path / "a")
    run = run_playbook(play(tls_role("tls", cluster, kube, first), show()))
    result = result_of(run)
    assert result["ok"] is True, result["message"]
    assert (result["changed"], result["created"], result["rotated"], result["namespace_created"]) == (True, True, False, True)
    assert result["extension_settings"] == {"sslSecret": SECRET, "sslCname": CNAME}
    assert result["subject"] == "CN=ml.contoso.com" and result["dns_names"] == [CNAME]
    assert result["chain_length"] == 3 and result["problems"] == []
    assert result["fingerprint_sha256"] == pki_fingerprint(first)
    secret = k8s.secret()
    assert secret.type == "Opaque" and sorted(secret.data) == ["cert.pem", "key.pem"]
    assert base64.b64decode(secret.data["cert.pem"]) == first.cert_bytes
    assert base64.b64decode(secret.data["key.pem"]) == first.key_bytes
    version = secret.metadata.resource_version

    run = run_playbook(play(tls_role("tls", cluster, kube, first), show()))
    result = result_of(run)
    assert (result["ok"], result["changed"], result["created"], result["rotated"]) == (True, False, False, False)
    assert k8s.secret().metadata.resource_version == version

    # Someone added a key of their own: a rotation replaces the pair and keeps it.
    k8s.core.patch_namespaced_secret(SECRET, "azureml", {"data": {"note": base64.b64encode(b"mine").decode()}})
    second = good_pair(tmp_path / "b")
    run = run_playbook(play(tls_role("tls", cluster, kube, second), show()))
    result = result_of(run)
    assert (result["ok"], result["changed"], result["created"], result["rotated"]) == (True, True, False, True)
    assert result["previous_fingerprint_sha256"] == pki_fingerprint(first)
    assert result["fingerprint_sha256"] == pki_fingerprint(second)
    secret = k8s.secret()
    assert sorted(secret.data) == ["cert.pem", "key.pem", "note"]
    assert base64.b64decode(secret.data["key.pem"]) == second.key_bytes
    assert_no_pem(run.stdout + run.stderr, first, second)


def pki_fingerprint(pair: pki.PemPair) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    return x509.load_pem_x509_certificates(pair.cert_bytes)[0].fingerprint(hashes.SHA256()).hex(":").upper()


def test_inline_content_gives_the_same_secret(sandbox, run_playbook, target, tmp_path):
    cluster, kube, k8s = target
    pair = good_pair(tmp_path)
    run = run_playbook(play(tls_role("tls", cluster, kube, tls_cert_content=pair.cert_bytes.decode(),
                                     tls_key_content=pair.key_bytes.decode(), tls_secret_name="inline-tls"), show()))
    result = result_of(run)
    assert result["ok"] is True and result["created"] is True, result["message"]
    assert base64.b64decode(k8s.secret("inline-tls").data["key.pem"]) == pair.key_bytes
    # The files of the same pair: no change.
    run = run_playbook(play(tls_role("tls", cluster, kube, pair, tls_secret_name="inline-tls"), show()))
    assert result_of(run)["changed"] is False
    assert_no_pem(run.stdout, pair)


def _bad_pairs(folder: Path) -> dict[str, tuple[dict[str, str], str]]:
    key = pki.rsa_key()
    root = pki.ca("Contoso Root CA")
    issuing = pki.ca("Contoso Issuing CA", issuer=root)
    leaf = pki.issue(CNAME, issuer=issuing)
    out_of_order = pki.write(folder, "order-cert.pem", pki.cert_pem(leaf.cert, root.cert, issuing.cert))
    order_key = pki.write(folder, "order-key.pem", leaf.key_pem())
    cases = {
        "passphrase": (pki.write_pair(folder, key, prefix="pw", passphrase=b"pw", common_name=CNAME, dns_names=(CNAME,)),
                       "is protected by a passphrase"),
        "mismatch": (pki.write_pair(folder, prefix="mm", mismatched=True, common_name=CNAME, dns_names=(CNAME,)),
                     "does not match the certificate"),
        "expired": (pki.write_pair(folder, prefix="exp", expired=True, common_name=CNAME, dns_names=(CNAME,)),
                    "the certificate expired on "),
        "not yet valid": (pki.write_pair(folder, prefix="nyv", not_yet_valid=True, common_name=CNAME,
                                         dns_names=(CNAME,)), "the certificate is not valid before "),
        "uncovered": (pki.write_pair(folder, prefix="wild", common_name="contoso.com", dns_names=("*.b.contoso.com",)),
                      "'ml.contoso.com' is not covered by the certificate"),
        "out of order": (pki.PemPair(out_of_order, order_key), "the chain is out of order"),
    }
    return {name: ({"tls_cert_file": pair.cert, "tls_key_file": pair.key}, text) for name, (pair, text) in cases.items()}


def test_each_bad_certificate_is_refused_before_any_write(sandbox, run_playbook, target, tmp_path):
    cluster, kube, k8s = target
    cases = _bad_pairs(tmp_path)
    tasks = []
    for name, (files, _text) in cases.items():
        tasks += [tls_role(name, cluster, kube, **files), show("after " + name)]
    run = run_playbook(play(*tasks))
    for name, (_files, text) in cases.items():
        result = result_of(run, "after " + name)
        assert result["ok"] is False and result["changed"] is False, name
        assert result["message"].startswith("refused, nothing was written: "), name
        assert text in result["message"], (name, result["message"])
        assert "certificate_file" in result["message"] or "private_key_file" in result["message"] or "cname" in result["message"]
    assert k8s.namespace() is None and k8s.secret() is None  # nothing written, not even the namespace
    assert "PRIVATE KEY" not in run.stdout


def test_near_expiry_warns_and_still_creates(sandbox, run_playbook, target, tmp_path):
    cluster, kube, k8s = target
    pair = pki.write_pair(tmp_path, common_name=CNAME, dns_names=(CNAME,), days_valid=5)
    run = run_playbook(play(tls_role("tls", cluster, kube, pair, tls_expiry_warning_days=10), show()))
    result = result_of(run)
    assert result["ok"] is True and result["created"] is True
    assert len(result["warnings"]) == 1 and "expires on" in result["warnings"][0]
    assert k8s.secret() is not None


def test_check_mode_predicts_and_writes_nothing(sandbox, run_playbook, target, tmp_path):
    cluster, kube, k8s = target
    pair = good_pair(tmp_path / "a")
    run = run_playbook(play(tls_role("tls", cluster, kube, pair), show()), check=True, diff=True)
    result = result_of(run)
    assert (result["ok"], result["changed"], result["created"], result["namespace_created"]) == (True, True, True, True)
    assert "predicted, check mode" in result["message"]
    assert k8s.namespace() is None and k8s.secret() is None

    assert result_of(run_playbook(play(tls_role("tls", cluster, kube, pair), show())))["created"] is True
    version = k8s.secret().metadata.resource_version
    other = good_pair(tmp_path / "b")
    run = run_playbook(play(tls_role("tls", cluster, kube, other), show()), check=True, diff=True)
    result = result_of(run)
    assert (result["changed"], result["rotated"]) == (True, True)
    assert k8s.secret().metadata.resource_version == version
    assert base64.b64decode(k8s.secret().data["cert.pem"]) == pair.cert_bytes
    assert_no_pem(run.stdout, pair, other)


def test_diff_shows_fingerprints_never_pem(sandbox, run_playbook, target, tmp_path):
    cluster, kube, _k8s = target
    first, second = good_pair(tmp_path / "a"), good_pair(tmp_path / "b")
    assert run_playbook(play(tls_role("tls", cluster, kube, first))).returncode == 0
    # The diff of a no_log task is hidden by Ansible; the module's own diff, shown by a task without no_log
    # and without the key, holds only fingerprints.
    task = {"name": "secret", "azureml.kubernetes.aml_tls_secret": {
        "certificate_file": second.cert, "private_key_file": second.key, "cname": CNAME, "secret_name": SECRET,
        "kubeconfig": kube["kubeconfig"], "context": kube["context"]}}
    run = run_playbook(play(task), check=True, diff=True, stdout_callback="ansible.builtin.default")
    assert run.returncode == 0, run.stdout[-3000:]
    assert pki_fingerprint(first) in run.stdout and pki_fingerprint(second) in run.stdout
    assert_no_pem(run.stdout, first, second)


def test_vvvv_shows_no_secret(sandbox, run_playbook, target, tmp_path):
    cluster, kube, _k8s = target
    first, second = good_pair(tmp_path / "a"), good_pair(tmp_path / "b")
    inline = good_pair(tmp_path / "c")
    run = run_playbook(play(
        tls_role("create", cluster, kube, first), tls_role("again", cluster, kube, first),
        tls_role("rotate", cluster, kube, second),
        tls_role("inline", cluster, kube, tls_cert_content=inline.cert_bytes.decode(),
                 tls_key_content=inline.key_bytes.decode()),
        tls_role("refused", cluster, kube, **_bad_pairs(tmp_path / "bad")["expired"][0]), show()),
        verbosity=4, diff=True, stdout_callback="ansible.builtin.default")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "rotated" in run.stdout
    assert_no_pem(run.stdout + run.stderr, first, second, inline)
    assert json.dumps(first.key_bytes.decode())[1:40] not in run.stdout
