# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import inventory as inv

SUB_A = "aaaaaaaa-0000-4000-8000-000000000001"
SUB_B = "bbbbbbbb-0000-4000-8000-000000000002"


def body(name, rg="rg1", sub=SUB_A, kind="managedClusters", location="eastus", tags=None):
    ns = "Microsoft.ContainerService" if kind == "managedClusters" else "Microsoft.Kubernetes"
    # AKS ids spell resourcegroups in lower case; ids are read case-insensitively
    return {"id": f"/subscriptions/{sub}/resourcegroups/{rg}/providers/{ns}/{kind}/{name}", "name": name,
            "location": location, "tags": tags or {}}


def cluster(name, **kw):
    kind = kw.get("kind", "managedClusters")
    return inv.cluster_from_body(kind, body(name, **kw), kw.get("sub", SUB_A))


def ext(name, provisioning, ext_type="Microsoft.AzureML.Kubernetes", current="1.1.60", version=None):
    return {"name": name, "properties": {"extensionType": ext_type, "provisioningState": provisioning,
                                         "currentVersion": current, "version": version}}


def test_paths():
    assert inv.list_path("managedClusters", SUB_A) == \
        f"/subscriptions/{SUB_A}/providers/Microsoft.ContainerService/managedClusters"
    assert inv.list_path("connectedClusters", SUB_A, "rg") == \
        f"/subscriptions/{SUB_A}/resourceGroups/rg/providers/Microsoft.Kubernetes/connectedClusters"
    assert inv.extensions_path("/x").endswith("/providers/Microsoft.KubernetesConfiguration/extensions")


# --- clusters from list items
def test_cluster_from_body_reads_the_id():
    c = inv.cluster_from_body("connectedClusters", body("arc1", rg="RG-Edge", kind="connectedClusters",
                                                        location="West Europe", tags={"env": "prod", "n": None}), SUB_A)
    assert (c.name, c.resource_group, c.subscription_id, c.location) == ("arc1", "RG-Edge", SUB_A, "westeurope")
    assert c.tags == {"env": "prod", "n": ""}
    assert inv.Cluster(**c.as_dict()) == c
    assert inv.cluster_from_body("managedClusters", {"id": "/nonsense", "name": "x"}, SUB_A) is None


def test_the_cluster_id_is_spelled_as_the_cli_and_the_settings_spell_it():
    aks = cluster("aks1", rg="RG1")  # AKS lists it as .../resourcegroups/RG1/...
    assert aks.id == f"/subscriptions/{SUB_A}/resourceGroups/RG1/providers/Microsoft.ContainerService/managedClusters/aks1"


# --- filters
@pytest.mark.parametrize("options,expected", [
    ({}, True),
    ({"resource_groups": ["RG1"]}, True),
    ({"resource_groups": ["other"]}, False),
    ({"cluster_types": ["connectedClusters"]}, False),
    ({"cluster_types": ["managedClusters"]}, True),
    ({"regions": ["East US"]}, True),
    ({"regions": ["westus"]}, False),
    ({"name_patterns": ["prod-*"]}, True),
    ({"name_patterns": ["PROD-A?S"]}, True),
    ({"name_patterns": ["dev-*", "x*"]}, False),
    ({"tags": {"env": "prod"}}, True),
    ({"tags": {"ENV": "prod"}}, True),  # tag names are case-insensitive
    ({"tags": {"env": "Prod"}}, False),  # values are not
    ({"tags": {"env": "prod", "team": "ml"}}, True),
    ({"tags": {"env": "prod", "team": "web"}}, False),  # all must match
    ({"tags": {"owner": None}}, False),
    ({"tags": {"team": None}}, True),  # presence only
])
def test_filters(options, expected):
    c = cluster("prod-aks", tags={"env": "prod", "team": "ml"})
    assert inv.Filters.from_options(**options).matches(c) is expected


# --- names
def test_host_names_qualify_shared_names_only():
    a = cluster("shared", rg="rg1", sub=SUB_A)
    b = cluster("shared", rg="rg2", sub=SUB_B, kind="connectedClusters")
    c = cluster("alone")
    names = inv.host_names([a, b, c])
    assert names[a.id.lower()] == f"shared.rg1.{SUB_A[:8]}"
    assert names[b.id.lower()] == f"shared.rg2.{SUB_B[:8]}"
    assert names[c.id.lower()] == "alone"


def test_select_names_before_filtering_and_sorts():
    a = cluster("shared", rg="rg1")
    b = cluster("shared", rg="rg2", location="westus")
    c = cluster("alone")
    picked = inv.select([c, b, a, a], inv.Filters.from_options(regions=["eastus"]))
    # the filter hides b, yet a keeps its qualified name; a cluster listed twice counts once; sorted by id
    assert picked == [("alone", c), (f"shared.rg1.{SUB_A[:8]}", a)]
    assert {host for host, _cluster in picked} == {f"shared.rg1.{SUB_A[:8]}", "alone"}


# --- the extension
@pytest.mark.parametrize("extensions,expected", [
    (None, dict(name=None, state="unknown", version=None)),
    ([], dict(name=None, state="absent", version=None)),
    ([ext("flux", "Succeeded", ext_type="microsoft.flux")], dict(name=None, state="absent", version=None)),
    ([ext("azureml", "Succeeded")], dict(name="azureml", state="installed", version="1.1.60")),
    ([ext("ml", "Failed", current=None, version="1.1.59")], dict(name="ml", state="failed", version="1.1.59")),
    ([ext("ml", "Canceled")], dict(name="ml", state="failed", version="1.1.60")),
    ([ext("ml", "Creating", current=None)], dict(name="ml", state="in_progress", version=None)),
    ([ext("flux", "Succeeded", ext_type="microsoft.flux"), ext("b-ml", "Failed"),
      ext("a-ml", "Succeeded", ext_type="microsoft.azureml.kubernetes")],
     dict(name="a-ml", state="installed", version="1.1.60")),
])
def test_extension_summary(extensions, expected):
    assert inv.extension_summary(extensions) == expected


# --- host variables and groups
def test_host_vars_are_the_static_inventorys():
    c = cluster("arc1", rg="rg-x", kind="connectedClusters", location="westeurope")
    assert inv.host_vars(c, "arc1", None) == {
        "ansible_connection": "local", "aml_cluster_type": "connectedClusters", "aml_cluster_name": "arc1",
        "aml_resource_group": "rg-x", "aml_subscription_id": SUB_A, "aml_location": "westeurope",
        "aml_kube_context": "arc1"}
    full = inv.host_vars(c, "arc1.rg-x.aaaaaaaa", inv.extension_summary([ext("azureml", "Succeeded")]), "/k/config")
    assert full["aml_kube_context"] == "arc1.rg-x.aaaaaaaa"
    assert (full["aml_extension_name"], full["aml_extension_state"], full["aml_extension_version"]) == \
        ("azureml", "installed", "1.1.60")
    assert full["aml_kubeconfig"] == "/k/config"


def test_groups():
    aks = cluster("a", location="eastus2")
    arc = cluster("b", kind="connectedClusters", location="westeurope")
    assert inv.groups_of(aks, inv.extension_summary([])) == ["aks", "region_eastus2", "aml_absent"]
    assert inv.groups_of(arc, inv.extension_summary([ext("x", "Failed")])) == ["arc", "region_westeurope", "aml_failed"]
    assert inv.groups_of(arc, None) == ["arc", "region_westeurope"]
    assert {"aml_" + s for s in inv.EXTENSION_STATES} >= {"aml_installed", "aml_failed", "aml_absent"}
