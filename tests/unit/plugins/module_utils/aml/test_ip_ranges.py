# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import ip_ranges as ipr


def tag(name, region, *prefixes):
    return {"name": name, "id": name, "properties": {"region": region, "systemService": name.split(".")[0],
                                                     "addressPrefixes": list(prefixes)}}


VALUES = [
    tag("AzureMachineLearning", "", "20.1.0.0/24", "40.1.0.0/24", "2603:1000::/64"),
    tag("AzureMachineLearning.EastUS", "eastus", "40.1.0.0/24", "20.1.0.0/24", "2603:1030:1::/64"),
    tag("AzureMachineLearning.WestUS", "westus", "52.9.9.0/28", "2603:1040:1::/62"),
    tag("AzureCloud.EastUS", "eastus", "13.0.0.0/16"),
    tag("AzureMachineLearning.OnlyV6", "onlyv6", "2603:1050::/64"),
]


# --- region names and normalising
@pytest.mark.parametrize("name", ["eastus", "East US", "EastUS", " east us ", "EASTUS"])
def test_region_key_accepts_every_spelling(name):
    assert ipr.region_key(name) == "eastus"


def test_region_key_of_nothing_is_empty():
    assert ipr.region_key(None) == "" and ipr.region_key("") == ""


@pytest.mark.parametrize("given,expected", [
    ("1.2.3.4", "1.2.3.4/32"),
    (" 1.2.3.4 ", "1.2.3.4/32"),
    ("1.2.3.0/24", "1.2.3.0/24"),
    ("1.2.3.4/24", "1.2.3.0/24"),  # host bits cleared
    ("0.0.0.0/32", "0.0.0.0/32"),
    ("2001:db8::1", "2001:db8::1/128"),
    ("not-an-ip", "not-an-ip"),
    ("10.0.0.0/33", "10.0.0.0/33"),
])
def test_normalise(given, expected):
    assert ipr.normalise(given) == expected


def test_ipv4_only_drops_ipv6_and_garbage():
    assert ipr.ipv4_only(["20.1.0.0/24", "2603:1000::/64", "x", "1.2.3.4"]) == ["20.1.0.0/24", "1.2.3.4/32"]


def test_dedupe_keeps_first_seen_order_and_normalises():
    assert ipr.dedupe(["9.9.9.9", "1.1.1.0/24", "9.9.9.9/32", "", "1.1.1.0/24", "bad", "bad"]) == [
        "9.9.9.9/32", "1.1.1.0/24", "bad"]


# --- service tags
def test_tag_values_of_api_answer_and_file():
    assert ipr.tag_values({"values": VALUES}) == VALUES
    assert ipr.tag_values({"values": [VALUES[0], "junk", None]}) == [VALUES[0]]


@pytest.mark.parametrize("document", [None, [], {}, {"values": None}, {"values": {}}, "text"])
def test_tag_values_refuses_other_documents(document):
    with pytest.raises(ipr.IpRangesError, match="values"):
        ipr.tag_values(document)


def test_aml_prefixes_are_the_regional_ipv4_ones():
    assert ipr.aml_prefixes(VALUES, "eastus") == ["40.1.0.0/24", "20.1.0.0/24"]
    assert ipr.aml_prefixes(VALUES, "West US") == ["52.9.9.0/28"]


def test_aml_prefixes_match_by_region_property_too():
    values = [tag("AzureMachineLearning.Unusual", "francecentral", "20.5.0.0/26")]
    assert ipr.aml_prefixes(values, "francecentral") == ["20.5.0.0/26"]


def test_aml_prefixes_ignore_other_services_of_the_region():
    with pytest.raises(ipr.IpRangesError):
        ipr.aml_prefixes([tag("AzureCloud.EastUS", "eastus", "13.0.0.0/16")], "eastus")


@pytest.mark.parametrize("region", ["usgovvirginia", "US-Arizona", "chinaeast2"])
def test_a_region_without_the_tag_fails_naming_it(region):
    with pytest.raises(ipr.IpRangesError) as caught:
        ipr.aml_prefixes(VALUES, region)
    assert f"Region {region}" in caught.value.message and "not in the service tags" in caught.value.message
    assert caught.value.details == {"region": region}


def test_a_region_with_ipv6_only_fails_naming_it():
    with pytest.raises(ipr.IpRangesError, match="Region onlyv6.*IPv6 prefixes only"):
        ipr.aml_prefixes(VALUES, "onlyv6")


# --- paired regions
LOCATIONS = [
    {"name": "eastus", "displayName": "East US", "metadata": {"pairedRegion": [{"name": "westus", "id": "x"}]}},
    {"name": "westus3", "displayName": "West US 3", "metadata": {"pairedRegion": [{"name": "EastUS"}]}},
    {"name": "qatarcentral", "displayName": "Qatar Central", "metadata": {"pairedRegion": []}},
    {"name": "global", "displayName": "Global", "metadata": {}},
]


def test_paired_region_by_name_or_display_name():
    assert ipr.paired_region(LOCATIONS, "eastus") == "westus"
    assert ipr.paired_region(LOCATIONS, "East US") == "westus"
    assert ipr.paired_region(LOCATIONS, "West US 3") == "eastus"


def test_no_pair_is_none():
    assert ipr.paired_region(LOCATIONS, "qatarcentral") is None
    assert ipr.paired_region(LOCATIONS, "global") is None


def test_an_unknown_region_fails_naming_it():
    with pytest.raises(ipr.IpRangesError, match="Region atlantis is not among"):
        ipr.paired_region(LOCATIONS, "atlantis")


# --- merging
def test_merge_keeps_existing_in_order_and_appends_new_sorted():
    m = ipr.merge(["203.0.113.7", "198.51.100.0/24"], {"eastus": ["40.1.0.0/24", "20.1.0.0/24"],
                                                       "westus": ["52.9.9.0/28"]})
    assert m.kept == ["203.0.113.7/32", "198.51.100.0/24"]
    assert m.added == ["20.1.0.0/24", "40.1.0.0/24", "52.9.9.0/28"]
    assert m.ranges == m.kept + m.added and m.total == 5
    assert m.regions == {"eastus": ["40.1.0.0/24", "20.1.0.0/24"], "westus": ["52.9.9.0/28"]}


def test_merge_sorts_numerically_not_as_text():
    m = ipr.merge(["1.1.1.1/32"], {"r": ["100.0.0.0/24", "9.0.0.0/24", "20.0.0.0/24", "20.0.0.0/16"]})
    assert m.added == ["9.0.0.0/24", "20.0.0.0/16", "20.0.0.0/24", "100.0.0.0/24"]


def test_merge_never_removes_an_entry_even_unparseable_or_ipv6():
    existing = ["bad-entry", "2001:db8::/64", "10.0.0.1"]
    m = ipr.merge(existing, {"eastus": ["20.1.0.0/24"]})
    assert m.kept == ["bad-entry", "2001:db8::/64", "10.0.0.1/32"]
    assert m.added == ["20.1.0.0/24"]


def test_merge_of_present_ranges_adds_nothing():
    m = ipr.merge(["20.1.0.0/24", "40.1.0.5/24"], {"eastus": ["40.1.0.0/24", "20.1.0.0/24"]})
    assert m.added == [] and m.total == 2


def test_merge_dedupes_across_regions_and_the_existing_list():
    m = ipr.merge(["1.2.3.4", "1.2.3.4/32"], {"a": ["5.5.5.0/24", "1.2.3.4"], "b": ["5.5.5.0/24"]})
    assert m.kept == ["1.2.3.4/32"] and m.added == ["5.5.5.0/24"]


def test_merge_does_not_add_a_range_a_broader_existing_one_holds():
    m = ipr.merge(["20.0.0.0/8"], {"eastus": ["20.1.0.0/24", "40.1.0.0/24"]})
    assert m.added == ["40.1.0.0/24"] and m.covered == ["20.1.0.0/24"]


def test_merge_drops_ipv6_wanted_ranges():
    m = ipr.merge(["1.1.1.1"], {"eastus": ["2603:1030::/64", "20.1.0.0/24"]})
    assert m.added == ["20.1.0.0/24"]


def test_merge_at_the_limit_passes():
    existing = [f"10.0.{i}.0/24" for i in range(198)]
    m = ipr.merge(existing, {"eastus": ["20.1.0.0/24", "20.2.0.0/24"]})
    assert m.total == 200


def test_merge_above_the_limit_is_refused_with_the_count():
    existing = [f"10.0.{i}.0/24" for i in range(199)]
    with pytest.raises(ipr.IpRangesError) as caught:
        ipr.merge(existing, {"eastus": ["20.1.0.0/24", "20.2.0.0/24"], "westus": ["20.3.0.0/24"]})
    assert "would number 202 (199 existing and 3" in caught.value.message and "200" in caught.value.message
    assert caught.value.details == {"count": 202, "existing": 199, "to_add": 3, "limit": 200}


def test_merge_counts_after_dedupe():
    existing = [f"10.0.{i}.0/24" for i in range(199)] * 2
    assert ipr.merge(existing, {"eastus": ["20.1.0.0/24"]}).total == 200


def test_merge_limit_is_a_parameter():
    with pytest.raises(ipr.IpRangesError, match="more than the 2 AKS allows"):
        ipr.merge(["1.1.1.1"], {"r": ["2.2.2.2", "3.3.3.3"]}, limit=2)


# --- the cluster body
def cluster(ranges=None, private=False, **extra_props):
    profile = {"enablePrivateCluster": private}
    if ranges is not None:
        profile["authorizedIPRanges"] = ranges
    return {"id": "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ContainerService/managedClusters/c",
            "name": "c", "location": "eastus", "tags": {"a": "b"},
            "properties": {"kubernetesVersion": "1.35.4", "apiServerAccessProfile": profile,
                           "agentPoolProfiles": [{"name": "system", "count": 3}], **extra_props}}


def test_current_ranges():
    assert ipr.current_ranges(cluster(["1.1.1.1"])) == ["1.1.1.1"]
    assert ipr.current_ranges(cluster()) == []
    assert ipr.current_ranges({}) == []
    assert ipr.current_ranges({"properties": {"apiServerAccessProfile": None}}) == []


def without_profile(body):
    return {**body, "properties": {k: v for k, v in body["properties"].items() if k != "apiServerAccessProfile"}}


def test_with_ranges_changes_only_the_ranges():
    before = cluster(["1.1.1.1"], disableLocalAccounts=True)
    after = ipr.with_ranges(before, ["1.1.1.1/32", "20.1.0.0/24"])
    assert after["properties"]["apiServerAccessProfile"] == {"enablePrivateCluster": False,
                                                             "authorizedIPRanges": ["1.1.1.1/32", "20.1.0.0/24"]}
    assert without_profile(after) == without_profile(before)
    assert before["properties"]["apiServerAccessProfile"]["authorizedIPRanges"] == ["1.1.1.1"]  # not mutated


def test_with_ranges_on_a_cluster_without_a_profile():
    assert ipr.with_ranges({"properties": {}}, ["1.1.1.1/32"]) == {
        "properties": {"apiServerAccessProfile": {"authorizedIPRanges": ["1.1.1.1/32"]}}}


# --- skipping and Trusted Access
WS = "/subscriptions/s/resourceGroups/ml/providers/Microsoft.MachineLearningServices/workspaces/ws"


def binding(name, roles, source=WS):
    return {"name": name, "properties": {"sourceResourceId": source, "roles": roles}}


def test_trusted_access_bindings_with_the_mlworkload_role():
    found = [binding("aml", [ipr.MLWORKLOAD_ROLE]), binding("other", ["Microsoft.Compute/x/y"]),
             binding("upper", [ipr.MLWORKLOAD_ROLE.upper()], source=WS.upper() + "/")]
    assert ipr.trusted_access_bindings(found) == ["aml", "upper"]
    assert ipr.trusted_access_bindings(found, WS) == ["aml", "upper"]
    assert ipr.trusted_access_bindings(found, WS + "2") == []
    assert ipr.trusted_access_bindings([{"name": "empty"}]) == []


def test_skip_reasons():
    assert "private" in ipr.skip_reason(cluster(["1.1.1.1"], private=True))
    assert "no authorized IP ranges" in ipr.skip_reason(cluster())
    assert "no authorized IP ranges" in ipr.skip_reason(cluster([]))
    assert "Trusted Access covers" in ipr.skip_reason(cluster(["1.1.1.1"]), bindings=["aml"])
    assert "trusted_access is true" in ipr.skip_reason(cluster(["1.1.1.1"]), trusted_access=True)
    assert ipr.skip_reason(cluster(["1.1.1.1"])) is None
    assert ipr.skip_reason(cluster(["1.1.1.1"]), trusted_access=False) is None


def test_private_wins_over_unset_ranges():
    assert "private" in ipr.skip_reason(cluster(private=True))
