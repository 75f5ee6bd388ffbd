# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""runners/tls_secret.decide() and apply(), runners/tls_check.judge_secret() and apply(), with fakes."""
from __future__ import annotations

import base64

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils import kube as kube_adapter
from ansible_collections.azureml.kubernetes.plugins.module_utils.kube import KubeError
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners import tls_check, tls_secret
from ansible_collections.azureml.kubernetes.tests.support import fake_module, pki
from ansible_collections.azureml.kubernetes.tests.support.fake_module import TaskFailed

CNAME = "ml.contoso.com"


@pytest.fixture(scope="module")
def pairs():
    return pki.issue(CNAME), pki.issue(CNAME)


def secret(issued=None, *, kind="Opaque", extra=None, version="7"):
    data = dict(extra or {})
    if issued is not None:
        data.update({"cert.pem": base64.b64encode(issued.cert_pem()).decode(),
                     "key.pem": base64.b64encode(issued.key_pem()).decode()})
    metadata = {"name": "azureml-tls", "namespace": "azureml", "resourceVersion": version}
    return {"kind": "Secret", "type": kind, "metadata": metadata, "data": data}


NS = {"kind": "Namespace", "metadata": {"name": "azureml"}}


def decide(ns, existing, issued):
    return tls_secret.decide(ns, existing, issued.cert_pem(), issued.key_pem(), name="azureml-tls", namespace="azureml")


def test_decide_create_with_and_without_namespace(pairs):
    first = pairs[0]
    assert (decide(None, None, first).action, decide(None, None, first).create_namespace) == ("create", True)
    decision = decide(NS, None, first)
    assert (decision.action, decision.create_namespace) == ("create", False)
    assert decision.before["secret"] is None
    assert decision.after["secret"]["cert.pem"]["certificate_sha256"] == pki_fp(first)
    assert decision.after["secret"]["data_keys"] == ["cert.pem", "key.pem"]


def pki_fp(issued):
    from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import tls

    return tls.fingerprint(issued.cert_pem())


def test_decide_same_pair_is_no_change_line_endings_aside(pairs):
    first = pairs[0]
    assert decide(NS, secret(first), first).action == "none"
    crlf = secret(first)
    crlf["data"]["cert.pem"] = base64.b64encode(first.cert_pem().replace(b"\n", b"\r\n")).decode()
    assert decide(NS, crlf, first).action == "none"


def test_decide_rotation_keeps_other_keys(pairs):
    first, second = pairs
    decision = decide(NS, secret(first, extra={"note": "bWluZQ=="}), second)
    assert decision.action == "rotate"
    assert decision.before["secret"]["cert.pem"]["certificate_sha256"] == pki_fp(first)
    assert decision.after["secret"]["cert.pem"]["certificate_sha256"] == pki_fp(second)
    assert decision.after["secret"]["data_keys"] == ["cert.pem", "key.pem", "note"]
    assert decide(NS, secret(None, extra={"tls.crt": "eA=="}), second).action == "rotate"


def test_decide_refuses_another_type_and_a_terminating_namespace(pairs):
    first = pairs[0]
    refused = decide(NS, secret(first, kind="kubernetes.io/tls"), first)
    assert refused.action == "refuse" and "type kubernetes.io/tls, which Kubernetes cannot change" in refused.reason
    terminating = {"metadata": {"name": "azureml", "deletionTimestamp": "2026-12-01T00:00:00Z"}}
    assert "is being deleted" in decide(terminating, None, first).reason


def test_views_hold_no_pem(pairs):
    first, second = pairs
    decision = decide(NS, secret(first), second)
    text = repr(decision.before) + repr(decision.after)
    assert "BEGIN" not in text and base64.b64encode(first.key_pem()).decode()[:40] not in text


def test_rotation_patch_carries_the_resource_version(pairs):
    patch = tls_secret.rotation_patch(secret(pairs[0], version="42"), pairs[1].cert_pem(), pairs[1].key_pem())
    assert patch["metadata"] == {"resourceVersion": "42"}
    assert base64.b64decode(patch["data"]["key.pem"]) == pairs[1].key_pem()


def test_judge_secret(pairs):
    first = pairs[0]
    judged = tls_check.judge_secret(secret(first), "azureml-tls", "azureml", cname=CNAME, expiry_warning_days=30)
    assert judged["problems"] == [] and judged["certificate"]["subject"] == "CN=ml.contoso.com"
    assert "data" not in judged and "BEGIN" not in repr(judged)
    wrong = tls_check.judge_secret(secret(None, extra={"tls.crt": "eA==", "tls.key": "eA=="}), "s", "azureml",
                                   cname=None, expiry_warning_days=30)
    assert wrong["problems"] == ["Secret azureml/s has no key cert.pem and key.pem (it has: tls.crt, tls.key); the "
                                 "extension reads cert.pem (the full chain) and key.pem: recreate it with those keys"]
    uncovered = tls_check.judge_secret(secret(first), "s", "azureml", cname="other.contoso.com", expiry_warning_days=30)
    assert uncovered["problems"][0].startswith("cname 'other.contoso.com' is not covered by the certificate in "
                                               "Secret azureml/s key cert.pem")
    assert tls_check.judge_secret(None, "s", "azureml", cname=None, expiry_warning_days=0)["exists"] is False


def task_module(check_mode=False, diff=False, **params):
    return fake_module.FakeModule({"certificate_file": None, "private_key_file": None, "certificate_content": None,
                                   "private_key_content": None, "cname": CNAME, "expiry_warning_days": 30,
                                   "secret_name": "azureml-tls", "namespace": "azureml", "cluster_name": "c1"},
                                  check_mode=check_mode, diff=diff, **params)


class FakeKube:
    where = "cluster c1"

    def __init__(self, objects=(), fail=None):
        self.objects = {(o["kind"], o["metadata"]["name"]): o for o in objects}
        self.writes, self.fail = [], fail

    def get(self, kind, name, namespace, api_version="v1"):
        return self.objects.get((kind, name))

    def create(self, kind, body, namespace, *, dry_run):
        if self.fail:
            raise KubeError(self.fail)
        self.writes.append(("create", kind, dry_run))

    def merge_patch(self, kind, name, patch, namespace, *, dry_run):
        self.writes.append(("patch", kind, dry_run))


def content(issued, **more):
    return dict(certificate_content=issued.cert_pem().decode(), private_key_content=issued.key_pem().decode(), **more)


@pytest.fixture(autouse=True)
def _kubernetes_present(monkeypatch):
    monkeypatch.setattr(kube_adapter, "IMPORT_ERROR", None)
    monkeypatch.setattr(tls_secret.kube_adapter, "IMPORT_ERROR", None)


def test_apply_refuses_before_any_request(pairs):
    expired = pki.issue(CNAME, expired=True)
    kube = FakeKube()
    with pytest.raises(TaskFailed) as info:
        tls_secret.apply(task_module(**content(expired)), kube=kube)
    failed = info.value.args[0]
    assert failed["msg"].startswith("The certificate and key cannot be used for Secret azureml/azureml-tls; nothing "
                                    "was written: certificate_content: the certificate expired on ")
    assert kube.writes == [] and failed["changed"] is False
    assert "BEGIN" not in repr(failed)


def test_apply_create_no_change_rotate_and_check_mode(pairs):
    first, second = pairs
    module = task_module(diff=True, **content(first))
    kube = FakeKube([NS])
    result = tls_secret.apply(module, kube=kube)
    assert (result["changed"], result["created"], result["rotated"]) == (True, True, False)
    assert kube.writes == [("create", "Secret", False)]
    assert result["diff"]["before"]["secret"] is None
    assert first.key_pem().decode() in module.no_log_values
    assert "BEGIN" not in repr(result)

    same = tls_secret.apply(task_module(**content(first)), kube=FakeKube([NS, secret(first)]))
    assert same["changed"] is False and same["previous_fingerprint_sha256"] == same["fingerprint_sha256"]

    kube = FakeKube([NS, secret(first)])
    rotated = tls_secret.apply(task_module(check_mode=True, **content(second)), kube=kube)
    assert (rotated["changed"], rotated["rotated"]) == (True, True)
    assert kube.writes == [("patch", "Secret", True)]  # a server-side dry run

    kube = FakeKube()
    missing_ns = tls_secret.apply(task_module(check_mode=True, **content(first)), kube=kube)
    assert missing_ns["namespace_created"] is True and kube.writes == [("create", "Namespace", True)]


def test_apply_reports_a_write_failure(pairs):
    with pytest.raises(TaskFailed) as info:
        tls_secret.apply(task_module(**content(pairs[0])), kube=FakeKube([NS], fail="Forbidden: ..."))
    assert info.value.args[0]["msg"] == "Forbidden: ..."


def test_apply_needs_both_halves(pairs):
    with pytest.raises(TaskFailed) as info:
        tls_secret.apply(task_module(certificate_content=pairs[0].cert_pem().decode()), kube=FakeKube())
    assert info.value.args[0]["msg"].startswith("the certificate is given without its key")


def test_check_apply_reads_the_secret_and_compares(pairs):
    first, second = pairs
    module = task_module(**content(second))
    result = tls_check.apply(module, kube=FakeKube([NS, secret(first)]))
    assert result["ok"] is True and result["source"] == "content" and result["secret"]["matches"] is False
    alone = tls_check.apply(task_module(), kube=FakeKube([NS, secret(first)]))
    assert alone["source"] == "secret" and alone["fingerprint_sha256"] == pki_fp(first)
    assert second.key_pem().decode() in module.no_log_values
    assert "BEGIN" not in repr(result) + repr(alone)


def test_protect_masks_each_long_pem_line(pairs):
    module = task_module()
    tls_check.protect(module, pairs[0].key_pem())
    body = [line for line in pairs[0].key_pem().decode().splitlines() if not line.startswith("-----")]
    assert all(line in module.no_log_values for line in body if len(line) >= 16)
    assert base64.b64encode(pairs[0].key_pem()).decode() in module.no_log_values
