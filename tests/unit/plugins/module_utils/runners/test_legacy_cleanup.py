# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import base64
import datetime
import os
import stat

import pytest
import yaml

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import legacy as lg
from ansible_collections.azureml.kubernetes.plugins.module_utils.kube import KubeError
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners import legacy_cleanup as runner
from ansible_collections.azureml.kubernetes.tests.support import fake_module
from ansible_collections.azureml.kubernetes.tests.support.fake_module import TaskFailed

NS = "default"
KEY = base64.b64encode(b"-----BEGIN PRIVATE KEY-----\nSECRETSECRETSECRETSECRET\n-----END PRIVATE KEY-----\n").decode()


def objects(ready=0, namespace=NS):
    out = {}
    for i, r in enumerate(lg.RESOURCES):
        meta = {"name": r.name, "uid": f"uid-{i}", "resourceVersion": str(100 + i)}
        if r.namespaced:
            meta["namespace"] = namespace
        obj = {"apiVersion": r.api_version, "kind": r.kind, "metadata": meta}
        if r.kind == "Secret":
            obj["data"] = {"key.pem": KEY}
        if r.kind == "Deployment":
            obj["status"] = {"readyReplicas": ready}
        out[lg.label(r, namespace)] = obj
    return out


def test_decide_plans_backup_and_delete_order():
    plan = runner.decide(objects(), [], NS)
    assert plan["refused_reason"] is None and plan["serving"] == []
    assert [r["kind"] for r in plan["remove"]][:2] == ["Deployment", "Service"]
    assert [d["kind"] for d in plan["documents"]] == [r.kind for r in lg.RESOURCES]
    assert all("uid" not in d["metadata"] for d in plan["documents"])


def test_decide_refuses_while_serving_unless_forced():
    plan = runner.decide(objects(ready=1), [], NS)
    assert plan["remove"] == [] and plan["documents"] == []
    assert "still serves: Deployment default/azureml-fe has 1 ready replica(s)" in plan["refused_reason"]
    forced = runner.decide(objects(ready=1), [], NS, force=True)
    assert forced["refused_reason"] is None and len(forced["remove"]) == 8 and forced["serving"]


def test_decide_nothing_found_and_terminating():
    assert runner.decide({}, [], NS)["found"] == []
    found = objects()
    found[lg.label(lg.DEPLOYMENT, NS)]["metadata"]["deletionTimestamp"] = "2026-12-01T00:00:00Z"
    plan = runner.decide(found, [], NS)
    assert [t["kind"] for t in plan["terminating"]] == ["Deployment"] and len(plan["remove"]) == 7


def test_backup_name_is_a_safe_file_name():
    taken = datetime.datetime(2026, 12, 1, 9, 15, 0, tzinfo=datetime.timezone.utc)
    assert runner.backup_name("aks/prod 1", taken) == "aks_prod_1-azureml-fe-v1-20261201T091500Z.yaml"


def test_write_backup_0600_never_overwrites(tmp_path):
    first = runner.write_backup(str(tmp_path / "b"), "x.yaml", "one")
    second = runner.write_backup(str(tmp_path / "b"), "x.yaml", "two")
    assert first != second and open(first).read() == "one" and open(second).read() == "two"
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "b").st_mode) == 0o700


def task_module(check_mode=False, diff=False, **params):
    return fake_module.FakeModule({"cluster_name": "c1", "namespace": NS, "force": False, "backup_dir": None},
                                  check_mode=check_mode, diff=diff, **params)


class FakeKube:
    context = "c1"

    def __init__(self, found, fail_on=None):
        self.objects = {(o["kind"], o["metadata"]["name"]): o for o in found.values()}
        self.deleted, self.fail_on = [], fail_on

    def get(self, kind, name, namespace, api_version="v1"):
        return self.objects.get((kind, name))

    def list(self, kind, namespace, api_version="v1", label_selectors=None):
        return []

    def delete(self, kind, name, namespace, api_version="v1", preconditions=None):
        if (kind, name) == self.fail_on:
            raise KubeError(f"The API server of cluster c1 refused to delete {kind} (409): conflict.")
        self.deleted.append((kind, name, preconditions))
        self.objects.pop((kind, name))
        return True


def NOW():
    return datetime.datetime(2026, 12, 1, 9, 0, 0, tzinfo=datetime.timezone.utc)


def test_apply_backs_up_then_deletes_with_preconditions(tmp_path):
    module, kube = task_module(backup_dir=str(tmp_path)), FakeKube(objects())
    result = runner.apply(module, kube=kube, now=NOW)
    assert result["changed"] and result["backup_written"] and result["backup_mode"] == "0600"
    assert [d[:2] for d in kube.deleted][0] == ("Deployment", "azureml-fe")
    assert kube.deleted[0][2] == {"uid": "uid-7", "resourceVersion": "107"}
    docs = list(yaml.safe_load_all(open(result["backup_file"]).read()))
    assert [d["kind"] for d in docs] == [r.kind for r in lg.RESOURCES]
    assert KEY in module.no_log_values and KEY not in repr(result)
    again = runner.apply(task_module(backup_dir=str(tmp_path)), kube=kube, now=NOW)
    assert (again["changed"], again["found"], again["backup_file"]) == (False, [], None)
    assert len(os.listdir(tmp_path)) == 1


def test_apply_check_mode_writes_nothing(tmp_path):
    module, kube = task_module(check_mode=True, diff=True, backup_dir=str(tmp_path / "b")), FakeKube(objects())
    result = runner.apply(module, kube=kube, now=NOW)
    assert result["changed"] and not result["backup_written"] and kube.deleted == []
    assert result["backup_file"] == str(tmp_path / "b" / "c1-azureml-fe-v1-20261201T090000Z.yaml")
    assert not (tmp_path / "b").exists()
    assert result["diff"]["before"].splitlines()[0] == "Deployment default/azureml-fe"


def test_apply_refusal_fails_with_the_shape(tmp_path):
    with pytest.raises(TaskFailed) as done:
        runner.apply(task_module(backup_dir=str(tmp_path)), kube=FakeKube(objects(ready=1)), now=NOW)
    out = done.value.args[0]
    assert out["refused"] is True and out["removed"] == [] and len(out["found"]) == 8
    assert out["msg"] == out["refused_reason"] and not os.listdir(tmp_path)


def test_apply_conflict_stops_and_says_what_went(tmp_path):
    kube = FakeKube(objects(), fail_on=("Secret", "azuremlfessl"))
    with pytest.raises(TaskFailed) as done:
        runner.apply(task_module(backup_dir=str(tmp_path)), kube=kube, now=NOW)
    out = done.value.args[0]
    assert "changed after it was backed up" in out["msg"] and "Deleted before this: 3 of 8" in out["msg"]
    assert [r["kind"] for r in out["removed"]] == ["Deployment", "Service", "Service"]


def test_return_docs_name_every_key(tmp_path):
    from ansible_collections.azureml.kubernetes.plugins.modules import aml_legacy_cleanup

    documented = set(yaml.safe_load(aml_legacy_cleanup.RETURN))
    result = runner.apply(task_module(backup_dir=str(tmp_path)), kube=FakeKube(objects()), now=NOW)
    assert set(result) - {"changed"} == documented
