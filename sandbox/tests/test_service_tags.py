"""Service tags, region pairs and the AKS PUT of authorized IP ranges, as aml_authorized_ip_ranges uses them.

Facts: ../shared/reference/arm-protocol.md §5 (authorized ranges: GET, modify, PUT the whole cluster) and §8
(serviceTags shape, regional tags, pairs in metadata.pairedRegion), and azureml-kubernetes-docs.md §4 (the
AzureMachineLearning.<region> tags; none for US-Virginia, US-Arizona and China-East-2; at most 200 ranges).
"""
from __future__ import annotations

import io
import ipaddress
import json

import pytest
from azure.core.exceptions import HttpResponseError

from .conftest import RG, SUB, client_kwargs

# The regions the collection's tests use, each with its real pair.
USED = {"eastus": ("EastUS", "westus"), "westus": ("WestUS", "eastus"), "westeurope": ("WestEurope", "northeurope"),
        "northeurope": ("NorthEurope", "westeurope"), "eastus2": ("EastUS2", "centralus"),
        "centralus": ("CentralUS", "eastus2")}
WITHOUT_AML_TAG = ("usgovvirginia", "usgovarizona", "chinaeast2")
AKS = "aks-aml-demo"


@pytest.fixture
def network(sandbox, credential):
    from azure.mgmt.network import NetworkManagementClient
    return NetworkManagementClient(credential, SUB, **client_kwargs(sandbox))


@pytest.fixture
def aks(sandbox, credential):
    from azure.mgmt.containerservice import ContainerServiceClient
    return ContainerServiceClient(credential, SUB, **client_kwargs(sandbox)).managed_clusters


def locations(sandbox, credential):
    from azure.mgmt.resource.subscriptions import SubscriptionClient
    client = SubscriptionClient(credential, **client_kwargs(sandbox))
    return {loc.name: loc for loc in client.subscriptions.list_locations(SUB)}


def values_by_name(network, location="eastus"):
    return {v["name"]: v for v in network.service_tags.list(location).as_dict()["values"]}


def test_answer_shape_follows_the_spec_example(sandbox, network):
    body = network.service_tags.list("westeurope").as_dict()
    assert body["name"] == "public" and body["type"] == "Microsoft.Network/serviceTags" and body["cloud"] == "Public"
    assert body["id"] == f"/subscriptions/{SUB}/providers/Microsoft.Network/serviceTags/public"
    assert body["changeNumber"]
    for value in body["values"]:
        assert value["name"] == value["id"]
        assert set(value["properties"]) >= {"changeNumber", "region", "systemService", "addressPrefixes"}


@pytest.mark.parametrize("region", sorted(USED))
def test_aml_regional_tags_have_ipv4_and_ipv6_prefixes(sandbox, network, region):
    by_name = values_by_name(network)
    tag = by_name[f"AzureMachineLearning.{USED[region][0]}"]
    props = tag["properties"]
    assert props["region"] == region and props["systemService"] == "AzureMachineLearning"
    nets = [ipaddress.ip_network(p) for p in props["addressPrefixes"]]  # strict: valid network addresses
    assert {n.version for n in nets} == {4, 6}
    assert len([n for n in nets if n.version == 4]) >= 2
    assert set(props["addressPrefixes"]) <= set(by_name["AzureMachineLearning"]["properties"]["addressPrefixes"])


def test_regions_and_their_pairs_have_different_aml_ranges(sandbox, network):
    by_name = values_by_name(network)
    east = set(by_name["AzureMachineLearning.EastUS"]["properties"]["addressPrefixes"])
    west = set(by_name["AzureMachineLearning.WestUS"]["properties"]["addressPrefixes"])
    assert east and west and not east & west


def test_the_location_only_selects_the_cloud(sandbox, network):
    assert values_by_name(network, "eastus") == values_by_name(network, "japaneast")


def test_locations_carry_the_real_pairs(sandbox, credential):
    locs = locations(sandbox, credential)
    for region, (_tag, pair) in USED.items():
        assert [p.name for p in locs[region].metadata.paired_region] == [pair]
        assert locs[region].metadata.paired_region[0].id == f"/subscriptions/{SUB}/locations/{pair}"
    for loc in locs.values():  # every pair is itself a location
        for pair in loc.metadata.paired_region or []:
            assert pair.name in locs


@pytest.mark.parametrize("region", WITHOUT_AML_TAG)
def test_regions_the_docs_name_have_no_aml_tag(sandbox, credential, network, region):
    assert region in locations(sandbox, credential)
    values = network.service_tags.list(region).as_dict()["values"]
    aml = [v for v in values if v["name"].startswith("AzureMachineLearning.")]
    assert aml and not [v for v in aml if v["properties"]["region"] == region]
    assert [v for v in values if v["properties"]["region"] == region]  # other services still list it


def test_an_unknown_location_is_refused(sandbox):
    status, body, _ = sandbox.ctl("GET", f"/subscriptions/{SUB}/providers/Microsoft.Network/locations/atlantis/"
                                  "serviceTags?api-version=2024-05-01",
                                  headers={"Authorization": f"Bearer {sandbox.token()}"})
    assert status == 404 and body["error"]["code"] == "LocationNotAvailableForResourceType"


# --- AKS: GET, change only the authorized ranges, PUT the whole body back
def put_back(aks, body):
    return aks.begin_create_or_update(RG, AKS, io.BytesIO(json.dumps(body).encode())).result().as_dict()


def unchanged(cluster):
    """What an update of the authorized ranges must leave as it was."""
    volatile = {"provisioningState", "apiServerAccessProfile"}
    return ({k: v for k, v in cluster.items() if k not in ("systemData", "properties")},
            {k: v for k, v in cluster["properties"].items() if k not in volatile})


def test_put_of_the_read_body_changes_only_the_ranges(sandbox, aks):
    before = aks.get(RG, AKS).as_dict()
    assert before["properties"]["apiServerAccessProfile"]["authorizedIPRanges"] == []
    body = json.loads(json.dumps(before))
    body["properties"]["apiServerAccessProfile"]["authorizedIPRanges"] = ["203.0.113.0/24", "20.1.2.0/27"]
    done = put_back(aks, body)
    assert done["properties"]["provisioningState"] == "Succeeded"
    after = aks.get(RG, AKS).as_dict()
    assert after["properties"]["apiServerAccessProfile"]["authorizedIPRanges"] == ["203.0.113.0/24", "20.1.2.0/27"]
    assert unchanged(after) == unchanged(before)
    assert after["properties"]["apiServerAccessProfile"]["enablePrivateCluster"] is False
    puts = [r for r in sandbox.requests_for(f"managedClusters/{AKS}", writes_only=True) if r["method"] == "PUT"]
    assert len(puts) == 1


def test_put_above_200_ranges_or_ipv6_is_refused(sandbox, aks):
    body = aks.get(RG, AKS).as_dict()
    body["properties"]["apiServerAccessProfile"]["authorizedIPRanges"] = [f"10.0.{i // 256}.{i % 256}"
                                                                          for i in range(201)]
    with pytest.raises(HttpResponseError) as caught:
        put_back(aks, body)
    assert caught.value.status_code == 400 and "201" in str(caught.value)
    body["properties"]["apiServerAccessProfile"]["authorizedIPRanges"] = ["2603:1030::/64"]
    with pytest.raises(HttpResponseError, match="IPv6"):
        put_back(aks, body)
    assert aks.get(RG, AKS).as_dict()["properties"]["apiServerAccessProfile"]["authorizedIPRanges"] == []
