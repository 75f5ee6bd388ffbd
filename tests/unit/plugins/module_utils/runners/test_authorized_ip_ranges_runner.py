# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import json

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import ip_ranges as ipr
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AzureCallError, NotFound, Refused
from ansible_collections.azureml.kubernetes.plugins.module_utils.runners import authorized_ip_ranges as runner
from ansible_collections.azureml.kubernetes.plugins.module_utils.services.service_tags import read_service_tags_file

VALUES = [
    {"name": "AzureMachineLearning.EastUS", "properties": {"region": "eastus", "addressPrefixes": [
        "40.1.0.0/24", "20.1.0.0/24", "2603:1030::/64"]}},
    {"name": "AzureMachineLearning.WestUS", "properties": {"region": "westus", "addressPrefixes": [
        "52.9.9.0/28", "2603:1040::/64"]}},
]


def cluster(ranges):
    return {"name": "c", "location": "eastus", "properties": {
        "provisioningState": "Succeeded", "disableLocalAccounts": False, "agentPoolProfiles": [{"name": "p"}],
        "apiServerAccessProfile": {"authorizedIPRanges": ranges, "enablePrivateCluster": False}}}


def test_regions_for():
    assert runner.regions_for("East US", "westus") == ["eastus", "westus"]
    assert runner.regions_for("eastus", "EastUS") == ["eastus"]
    assert runner.regions_for("eastus", None) == ["eastus"]


def test_decide_adds_both_regions_and_builds_one_body():
    d = runner.decide(cluster(["203.0.113.9"]), ["eastus", "westus"], VALUES)
    assert d.changed
    assert d.kept == ["203.0.113.9/32"]
    assert d.added == ["20.1.0.0/24", "40.1.0.0/24", "52.9.9.0/28"]
    assert d.after == ["203.0.113.9/32", "20.1.0.0/24", "40.1.0.0/24", "52.9.9.0/28"]
    assert d.body["properties"]["apiServerAccessProfile"]["authorizedIPRanges"] == d.after
    assert d.body["properties"]["disableLocalAccounts"] is False  # the rest as read
    assert d.diff == {"before": {"authorized_ip_ranges": ["203.0.113.9"]}, "after": {"authorized_ip_ranges": d.after}}


def test_decide_with_nothing_missing_has_no_body():
    d = runner.decide(cluster(["20.1.0.0/24", "40.1.0.0/24", "52.9.9.0/28", "1.1.1.1"]), ["eastus", "westus"], VALUES)
    assert not d.changed and d.body is None and d.added == []
    assert d.after == d.before  # no normalisation without a write


def test_decide_fails_for_a_region_without_the_tag():
    with pytest.raises(ipr.IpRangesError, match="Region usgovvirginia"):
        runner.decide(cluster(["1.1.1.1"]), ["usgovvirginia"], VALUES)


def test_decide_fails_above_200_before_any_body():
    with pytest.raises(ipr.IpRangesError, match=r"would number 201 \(199 existing and 2"):
        runner.decide(cluster([f"10.0.{i}.0/24" for i in range(199)]), ["eastus"], VALUES)


def test_read_service_tags_file(tmp_path):
    good = tmp_path / "tags.json"
    good.write_text(json.dumps({"changeNumber": 1, "values": VALUES}), encoding="utf-8")
    assert read_service_tags_file(str(good))["values"] == VALUES
    with pytest.raises(NotFound, match="does not exist"):
        read_service_tags_file(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(Refused, match="is not JSON"):
        read_service_tags_file(str(bad))
    listing = tmp_path / "list.json"
    listing.write_text("[]", encoding="utf-8")
    with pytest.raises(Refused, match="no JSON object"):
        read_service_tags_file(str(listing))


def test_read_service_tags_file_with_a_bom(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"values": []}).encode())
    assert read_service_tags_file(str(path)) == {"values": []}


# --- the run, with fakes for Azure: what is written, and what the task returns
class Exited(Exception):
    def __init__(self, result):
        super().__init__("exit")
        self.result = result


class FakeWaiter:
    enabled = True

    def until(self, read, done, what):
        value = read()
        assert done(value), what
        return value


class FakeAzure:
    def __init__(self, check_mode=False, diff_mode=False, **params):
        self.params = dict(cluster_name="c", resource_group="rg", workspace_region=None, paired_region=None,
                           service_tags_file=None, trusted_access=None, workspace_id=None, wait=True,
                           wait_timeout=60)
        self.params.update(params)
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.waiter = FakeWaiter()

    def exit(self, **result):
        raise Exited(result)

    def fail(self, msg, **extra):
        raise Exited({"failed": True, "msg": msg, **extra})

    def fail_error(self, error, **extra):
        self.fail(error.message, **{**error.details, **extra})


class NoBindings(Exception):
    status_code = 404
    error = None


class FakeClusters:
    where = "managedClusters/c in resource group rg"

    def __init__(self, body, bindings=None):
        self.body = body
        self.bindings = bindings
        self.puts = []

    def resource(self):
        return self.body

    def not_found(self):
        return NotFound("no cluster")

    def trusted_access_bindings(self):
        if self.bindings is None:  # as Azure answers where it serves no bindings
            raise AzureCallError(NoBindings("Not Found"), "list the Trusted Access role bindings")
        return self.bindings

    def put_managed_cluster(self, body):
        self.puts.append(body)
        return {**body, "properties": {**body["properties"], "provisioningState": "Succeeded"}}


class FakeTags:
    def __init__(self):
        self.asked = []

    def locations(self):
        self.asked.append("locations")
        return [{"name": "eastus", "metadata": {"pairedRegion": [{"name": "westus"}]}},
                {"name": "westus", "metadata": {"pairedRegion": [{"name": "eastus"}]}}]

    def service_tags(self, location):
        self.asked.append(f"tags {location}")
        return {"values": VALUES}


def run(azure, body, bindings=None):
    subject = runner.AuthorizedIpRangesRunner(azure)
    subject.clusters = FakeClusters(body, bindings)
    subject.tags = FakeTags()
    with pytest.raises(Exited) as exited:
        subject.run()
    return exited.value.result, subject


def test_run_writes_once_and_returns_what_return_documents():
    import yaml

    from ansible_collections.azureml.kubernetes.plugins.modules import aml_authorized_ip_ranges as module

    result, subject = run(FakeAzure(diff_mode=True), cluster(["1.1.1.1"]), [])
    assert result["changed"] is True and len(subject.clusters.puts) == 1
    assert result["regions"] == ["eastus", "westus"]
    assert result["notes"] == ["workspace_region not given: the cluster's region eastus is used."]
    assert result["trusted_access_bindings"] == []  # looked for (trusted_access unset), none found
    documented = set(yaml.safe_load(module.RETURN))
    assert set(result) - {"changed", "diff"} == documented
    assert set(result["cluster"]) == set(yaml.safe_load(module.RETURN)["cluster"]["contains"])


def test_run_in_check_mode_writes_nothing():
    result, subject = run(FakeAzure(check_mode=True, workspace_region="eastus"), cluster(["1.1.1.1"]))
    assert result["changed"] is True and subject.clusters.puts == []
    assert result["added"] == ["20.1.0.0/24", "40.1.0.0/24", "52.9.9.0/28"]


def test_run_skips_on_a_binding_without_reading_tags():
    bindings = [{"name": "aml", "properties": {"sourceResourceId": "/subscriptions/s/x", "roles": [ipr.MLWORKLOAD_ROLE]}}]
    result, subject = run(FakeAzure(), cluster(["1.1.1.1"]), bindings)
    assert result["changed"] is False and "Trusted Access covers" in result["skipped_reason"]
    assert result["trusted_access_bindings"] == ["aml"] and subject.tags.asked == [] and subject.clusters.puts == []


def test_run_notes_bindings_it_cannot_read():
    result = run(FakeAzure(workspace_region="eastus"), cluster(["1.1.1.1"]), None)[0]
    assert any("could not be read" in n for n in result["notes"]) and result["changed"] is True


def test_run_with_trusted_access_false_does_not_look():
    subject_bindings = [{"name": "aml", "properties": {"roles": [ipr.MLWORKLOAD_ROLE]}}]
    result = run(FakeAzure(trusted_access=False, workspace_region="eastus"), cluster(["1.1.1.1"]),
                 subject_bindings)[0]
    assert result["changed"] is True and result["trusted_access_bindings"] == []


def test_run_uses_the_given_pair_and_the_file(tmp_path):
    path = tmp_path / "tags.json"
    path.write_text(json.dumps({"values": VALUES}), encoding="utf-8")
    result, subject = run(FakeAzure(workspace_region="westus", paired_region="eastus", service_tags_file=str(path)),
                          cluster(["1.1.1.1"]))
    assert result["regions"] == ["westus", "eastus"] and subject.tags.asked == []


def test_run_fails_with_the_count_and_writes_nothing():
    result, subject = run(FakeAzure(workspace_region="eastus"), cluster([f"10.0.{i}.0/24" for i in range(199)]))
    assert result["failed"] is True and result["count"] == 202 and subject.clusters.puts == []


def test_run_fails_for_a_missing_cluster():
    result = run(FakeAzure(), None)[0]
    assert result == {"failed": True, "msg": "no cluster"}


def test_run_refuses_a_busy_cluster_without_wait():
    azure = FakeAzure()
    azure.waiter.enabled = False
    busy = cluster(["1.1.1.1"])
    busy["properties"]["provisioningState"] = "Updating"
    result = run(azure, busy)[0]
    assert result["failed"] is True and "Updating" in result["msg"]


def test_run_fails_when_bindings_cannot_be_read_for_another_reason():
    class Forbidden(Exception):
        status_code = 403
        error = {"code": "AuthorizationFailed", "message": "no"}

    class Refusing(FakeClusters):
        def trusted_access_bindings(self):
            raise AzureCallError(Forbidden("no"), "list the Trusted Access role bindings")

    subject = runner.AuthorizedIpRangesRunner(FakeAzure())
    subject.clusters = Refusing(cluster(["1.1.1.1"]))
    subject.tags = FakeTags()
    with pytest.raises(Exited) as exited:
        subject.run()
    assert exited.value.result["failed"] is True and "AuthorizationFailed" in exited.value.result["msg"]
