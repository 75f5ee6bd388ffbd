"""aml_authorized_ip_ranges and role authorized_ip_ranges against the sandbox's AKS clusters.

Existing entries stay (normalised, in their order), the AML ranges of the workspace region and its pair are
appended with one cluster PUT, a second run writes nothing, check mode writes nothing, diff shows both lists,
more than 200 ranges and a region without the AML tag fail before any write, clusters that need nothing
(no ranges, private, Trusted Access) are skipped with the reason, and an offline Service Tags file is read
instead of the API.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from tests.support.plays import play, task

MODULE = "azureml.kubernetes.aml_authorized_ip_ranges"
API = "2026-08-01"
EXISTING = ["203.0.113.7", "198.51.100.0/24"]
MLWORKLOAD = "Microsoft.MachineLearningServices/workspaces/mlworkload"


def aml_ipv4(sandbox, *regions: str) -> list[str]:
    """The IPv4 AzureMachineLearning.<region> prefixes the sandbox serves, as the module should add them."""
    answer = sandbox.arm("GET", f"/subscriptions/{sandbox.subscription_id}/providers/Microsoft.Network/locations/"
                         "eastus/serviceTags", api_version="2024-05-01").json()
    out = set()
    for value in answer["values"]:
        if value["name"].startswith("AzureMachineLearning.") and value["properties"]["region"] in regions:
            out |= {p for p in value["properties"]["addressPrefixes"] if ipaddress.ip_network(p).version == 4}
    assert out, regions
    return sorted(out, key=lambda p: (int(ipaddress.ip_network(p).network_address), ipaddress.ip_network(p).prefixlen))


def args(cluster: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return dict(cluster_name=cluster["name"], resource_group=cluster["resource_group"], **extra)


def cluster_path(sandbox, cluster) -> str:
    return (f"/subscriptions/{sandbox.subscription_id}/resourceGroups/{cluster['resource_group']}/providers/"
            f"Microsoft.ContainerService/managedClusters/{cluster['name']}")


def read_cluster(sandbox, cluster) -> dict[str, Any]:
    return sandbox.arm("GET", cluster_path(sandbox, cluster), api_version=API).json()


def ranges_of(body: dict[str, Any]) -> list[str]:
    return body["properties"]["apiServerAccessProfile"].get("authorizedIPRanges") or []


def writes(sandbox, cluster) -> list[dict[str, Any]]:
    return sandbox.requests_for(f"managedClusters/{cluster['name']}", writes_only=True)


def test_existing_kept_pair_added_with_one_put_then_no_write(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(authorized_ip_ranges=EXISTING, local_accounts=True)
    before = read_cluster(sandbox, cluster)
    run = run_playbook(play(task("ranges", MODULE, **args(cluster, workspace_region="East US"))))
    result = run.task("ranges")
    assert result["changed"] is True, run.stdout
    expected = aml_ipv4(sandbox, "eastus", "westus")  # westus: East US's pair, from the locations API
    assert result["regions"] == ["eastus", "westus"]
    assert result["kept"] == ["203.0.113.7/32", "198.51.100.0/24"]
    assert result["added"] == expected
    assert result["authorized_ip_ranges"] == result["kept"] + expected
    assert result["total"] == 2 + len(expected) and result["skipped_reason"] is None
    puts = writes(sandbox, cluster)
    assert [w["method"] for w in puts] == ["PUT"]
    sent = puts[0]["request_body"]
    assert ranges_of(sent) == result["authorized_ip_ranges"]
    after = read_cluster(sandbox, cluster)
    assert ranges_of(after) == result["authorized_ip_ranges"]
    assert after["properties"]["provisioningState"] == "Succeeded"
    for key in ("disableLocalAccounts", "networkProfile", "kubernetesVersion", "dnsPrefix", "fqdn",
                "identityProfile", "servicePrincipalProfile", "nodeResourceGroup"):
        assert after["properties"][key] == before["properties"][key], key
    assert [p["count"] for p in after["properties"]["agentPoolProfiles"]] == \
        [p["count"] for p in before["properties"]["agentPoolProfiles"]]
    assert after["identity"] == before["identity"] and after["tags"] == before["tags"]

    again = run_playbook(play(task("again", MODULE, **args(cluster, workspace_region="eastus"))), diff=True)
    second = again.task("again")
    assert second["changed"] is False, again.stdout
    assert second["added"] == [] and second["authorized_ip_ranges"] == result["authorized_ip_ranges"]
    assert writes(sandbox, cluster) == puts


def test_check_mode_writes_nothing_and_diff_shows_both_lists(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(authorized_ip_ranges=EXISTING, location="westeurope")
    run = run_playbook(play(task("ranges", MODULE, **args(cluster, workspace_region="westeurope"))),
                       check=True, diff=True)
    result = run.task("ranges")
    assert result["changed"] is True, run.stdout
    expected = aml_ipv4(sandbox, "westeurope", "northeurope")
    assert result["added"] == expected and result["regions"] == ["westeurope", "northeurope"]
    assert result["diff"]["before"] == {"authorized_ip_ranges": EXISTING}
    assert result["diff"]["after"] == {"authorized_ip_ranges": ["203.0.113.7/32", "198.51.100.0/24"] + expected}
    assert writes(sandbox, cluster) == []
    assert ranges_of(read_cluster(sandbox, cluster)) == EXISTING


def test_above_200_is_refused_with_the_count_before_any_write(sandbox, run_playbook):
    existing = [f"10.{i // 250}.{i % 250}.0/24" for i in range(198)]
    cluster = sandbox.seed_cluster(authorized_ip_ranges=existing)
    run = run_playbook(play(task("ranges", MODULE, ignore_errors=True, **args(cluster, workspace_region="eastus"))))
    result = run.task("ranges")
    count = 198 + len(aml_ipv4(sandbox, "eastus", "westus"))
    assert result["failed"] is True, run.stdout
    assert f"would number {count} (198 existing" in result["msg"] and "200" in result["msg"]
    assert result["count"] == count and result["limit"] == 200
    assert writes(sandbox, cluster) == []


@pytest.mark.parametrize("given,named", [({"workspace_region": "usgovvirginia"}, "usgovvirginia"),
                                         ({"workspace_region": "eastus", "paired_region": "chinaeast2"},
                                          "chinaeast2")])
def test_a_region_without_the_aml_tag_fails_naming_it(sandbox, run_playbook, given, named):
    cluster = sandbox.seed_cluster(authorized_ip_ranges=EXISTING)
    run = run_playbook(play(task("ranges", MODULE, ignore_errors=True, **args(cluster, **given))))
    result = run.task("ranges")
    assert result["failed"] is True, run.stdout
    assert f"Region {named}" in result["msg"] and "AzureMachineLearning" in result["msg"]
    assert result["region"] == named
    assert writes(sandbox, cluster) == []


def test_unset_ranges_and_trusted_access_are_skipped(sandbox, run_playbook):
    open_cluster = sandbox.seed_cluster()
    restricted = sandbox.seed_cluster(authorized_ip_ranges=EXISTING)
    run = run_playbook(play(task("open", MODULE, **args(open_cluster, workspace_region="eastus")),
                            task("trusted", MODULE, **args(restricted, workspace_region="eastus",
                                                           trusted_access=True))))
    opened = run.task("open")
    assert opened["changed"] is False, run.stdout
    assert "no authorized IP ranges" in opened["skipped_reason"] and opened["added"] == []
    trusted = run.task("trusted")
    assert trusted["changed"] is False and "trusted_access is true" in trusted["skipped_reason"]
    assert trusted["authorized_ip_ranges"] == EXISTING
    assert writes(sandbox, open_cluster) == [] and writes(sandbox, restricted) == []


def test_a_private_cluster_is_skipped(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(authorized_ip_ranges=EXISTING)
    body = read_cluster(sandbox, cluster)
    body["properties"]["apiServerAccessProfile"]["enablePrivateCluster"] = True
    assert sandbox.arm("PUT", cluster_path(sandbox, cluster), body, api_version=API).status_code == 200
    puts = writes(sandbox, cluster)
    run = run_playbook(play(task("ranges", MODULE, **args(cluster, workspace_region="eastus"))))
    result = run.task("ranges")  # the module waits for the PUT above to end first
    assert result["changed"] is False, run.stdout
    assert "private" in result["skipped_reason"]
    assert writes(sandbox, cluster) == puts


def test_a_trusted_access_binding_is_detected(sandbox, run_playbook):
    workspace = (f"/subscriptions/{sandbox.subscription_id}/resourceGroups/rg-ml/providers/"
                 "Microsoft.MachineLearningServices/workspaces/ws1")
    cluster = sandbox.seed_cluster(authorized_ip_ranges=EXISTING, trusted_access_bindings=[
        {"name": "aml-ws1", "source_resource_id": workspace, "roles": [MLWORKLOAD]}])
    listing = sandbox.arm("GET", cluster_path(sandbox, cluster) + "/trustedAccessRoleBindings", api_version=API)
    if listing.status_code == 404:
        pytest.skip("this sandbox serves no Trusted Access role bindings yet")
    run = run_playbook(play(
        task("bound", MODULE, **args(cluster, workspace_region="eastus")),
        task("other workspace", MODULE, **args(cluster, workspace_region="eastus", workspace_id=workspace + "x")),
    ), check=True)
    bound = run.task("bound")
    assert bound["changed"] is False, run.stdout
    assert bound["trusted_access_bindings"] == ["aml-ws1"] and "Trusted Access covers" in bound["skipped_reason"]
    other = run.task("other workspace")  # a binding for another workspace does not count
    assert other["changed"] is True and other["skipped_reason"] is None
    assert writes(sandbox, cluster) == []


def test_an_offline_service_tags_file_is_read_instead_of_the_api(sandbox, run_playbook, tmp_path):
    document = {"changeNumber": 300, "cloud": "Public", "values": [
        {"name": "AzureMachineLearning.WestEurope", "id": "AzureMachineLearning.WestEurope", "properties": {
            "changeNumber": 12, "region": "westeurope", "regionId": 18, "platform": "Azure",
            "systemService": "AzureMachineLearning", "addressPrefixes": ["52.236.186.0/25", "2603:1020:206::/48"],
            "networkFeatures": ["API", "NSG"]}},
        {"name": "AzureMachineLearning.NorthEurope", "id": "AzureMachineLearning.NorthEurope", "properties": {
            "changeNumber": 9, "region": "northeurope", "regionId": 17, "platform": "Azure",
            "systemService": "AzureMachineLearning", "addressPrefixes": ["13.69.227.192/27", "20.38.80.64/28"],
            "networkFeatures": None}},
        {"name": "AzureCloud.westeurope", "id": "AzureCloud.westeurope", "properties": {
            "changeNumber": 1, "region": "westeurope", "platform": "Azure", "systemService": "",
            "addressPrefixes": ["13.69.0.0/17"]}}]}
    tags_file = tmp_path / "ServiceTags_Public_20261130.json"
    tags_file.write_text(json.dumps(document), encoding="utf-8")
    cluster = sandbox.seed_cluster(authorized_ip_ranges=EXISTING, location="westeurope")
    run = run_playbook(play(task("ranges", MODULE, **args(cluster, workspace_region="westeurope",
                                                          paired_region="northeurope",
                                                          service_tags_file=str(tags_file)))))
    result = run.task("ranges")
    assert result["changed"] is True, run.stdout
    assert result["added"] == ["13.69.227.192/27", "20.38.80.64/28", "52.236.186.0/25"]
    assert ranges_of(read_cluster(sandbox, cluster)) == ["203.0.113.7/32", "198.51.100.0/24"] + result["added"]
    # The file's ranges, not the API's (tests running beside this one ask the API, so the log cannot tell).
    assert not set(result["added"]) & set(aml_ipv4(sandbox, "westeurope", "northeurope"))
    assert [w["method"] for w in writes(sandbox, cluster)] == ["PUT"]


def role(title: str, cluster: dict[str, Any], **variables: Any) -> dict[str, Any]:
    role_vars = {"authorized_ip_ranges_cluster_name": cluster["name"],
                 "authorized_ip_ranges_resource_group": cluster["resource_group"], **variables}
    return {"name": title, "ansible.builtin.include_role": {"name": "azureml.kubernetes.authorized_ip_ranges"},
            "vars": role_vars}


def show() -> dict[str, Any]:
    return {"name": "show", "ansible.builtin.debug": {"var": "authorized_ip_ranges_result"}}


def test_role_check_mode_then_apply_then_no_change(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(authorized_ip_ranges=EXISTING)
    variables = {"authorized_ip_ranges_workspace_region": "eastus"}
    checked = run_playbook(play(role("ranges", cluster, **variables), show()), check=True)
    predicted = checked.task("show")["authorized_ip_ranges_result"]
    assert predicted["changed"] is True, checked.stdout
    assert writes(sandbox, cluster) == []

    applied = run_playbook(play(role("ranges", cluster, **variables), show()))
    result = applied.task("show")["authorized_ip_ranges_result"]
    expected = aml_ipv4(sandbox, "eastus", "westus")
    assert result == {"cluster": cluster["name"], "resource_group": cluster["resource_group"], "changed": True,
                      "skipped_reason": None, "regions": ["eastus", "westus"], "added": expected,
                      "kept": ["203.0.113.7/32", "198.51.100.0/24"], "covered": [], "total": 2 + len(expected),
                      "authorized_ip_ranges": ["203.0.113.7/32", "198.51.100.0/24"] + expected,
                      "trusted_access_bindings": [], "notes": []}, applied.stdout
    assert result == predicted
    assert [w["method"] for w in writes(sandbox, cluster)] == ["PUT"]

    again = run_playbook(play(role("ranges", cluster, **variables), show()))
    second = again.task("show")["authorized_ip_ranges_result"]
    assert second["changed"] is False and second["added"] == [], again.stdout
    assert len(writes(sandbox, cluster)) == 1
