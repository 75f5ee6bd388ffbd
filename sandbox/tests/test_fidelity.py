"""Fidelity fixes of issue 6: cloud metadata in public Azure's form, no Retry-After on extension operations unless
asked for, ARM's 400 for an invalid extension name, ARM's 404 codes, and the hooks for the later buildings."""
from __future__ import annotations

import time

import pytest

from .conftest import RG, SUB

# The keys of public Azure's GET /metadata/endpoints?api-version=2022-09-01, in its order.
PUBLIC_KEYS = ["galleryEndpoint", "graphEndpoint", "portalEndpoint", "graph", "name", "authentication", "media",
               "suffixes", "batch", "resourceManager", "vmImageJsonDoc", "activeDirectoryDataLake", "sqlManagement",
               "microsoftGraphResourceId", "appInsightsResourceId", "appInsightsTelemetryChannelResourceId",
               "attestationResourceId", "synapseAnalyticsResourceId", "logAnalyticsResourceId", "ossrDbmsResourceId"]
EXT = (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/managedClusters/aks-aml-demo"
       "/providers/Microsoft.KubernetesConfiguration/extensions")
BODY = {"properties": {"extensionType": "microsoft.flux", "autoUpgradeMinorVersion": True}}


@pytest.mark.parametrize("query", ["?api-version=2022-09-01", "?api-version=2020-06-01", "?api-version=2019-05-01",
                                   "?api-version=2015-01-01", ""])
def test_metadata_is_public_azures_one_object(sandbox, query):
    status, body, headers = sandbox.ctl("GET", "/metadata/endpoints" + query)
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert isinstance(body, dict) and list(body) == PUBLIC_KEYS
    assert body["name"] == "AzureSandbox"
    assert body["resourceManager"] == sandbox.url + "/"
    assert body["authentication"] == {"loginEndpoint": sandbox.url + "/",
                                      "audiences": ["https://management.core.windows.net/",
                                                    "https://management.azure.com/"],
                                      "tenant": "common", "identityProvider": "AAD"}
    assert all(isinstance(v, str) for v in body["suffixes"].values())


def test_metadata_with_a_double_slash_as_az_cloud_register_builds_it(sandbox):
    """`az cloud register --endpoint-resource-manager https://host:port/` asks for //metadata/endpoints."""
    status, body, _ = sandbox.ctl("GET", "//metadata/endpoints?api-version=2022-09-01")
    assert status == 200 and isinstance(body, dict) and body["resourceManager"] == sandbox.url + "/"
    # What the az CLI's mapper reads from the object (azure-cli core/cloud.py _arm_to_cli_mapper) is there.
    assert body["authentication"]["audiences"][0] == "https://management.core.windows.net/"
    assert body["authentication"]["loginEndpoint"] and body["suffixes"]["storage"]


def test_metadata_list_form_only_behind_the_setting(sandbox):
    sandbox.settings(metadata_form="list")
    status, body, _ = sandbox.ctl("GET", "/metadata/endpoints?api-version=2022-09-01")
    assert status == 200 and isinstance(body, list) and len(body) == 1
    assert body[0]["name"] == "AzureSandbox" and body[0]["resourceManager"] == sandbox.url + "/"
    sandbox.reset()
    assert isinstance(sandbox.ctl("GET", "/metadata/endpoints?api-version=2022-09-01")[1], dict)
    assert sandbox.ctl("POST", "/_sandbox/settings", {"metadata_form": "table"})[0] == 400


def test_env_points_at_the_metadata_url(sandbox):
    assert sandbox.env["AZURE_CLOUD_ENVIRONMENT"] == sandbox.url + "/metadata/endpoints?api-version=2022-09-01"


def _auth(sandbox):
    return {"Authorization": f"Bearer {sandbox.token()}"}


def _poll_until_done(sandbox, url, hdr):
    seen = []
    for _ in range(100):
        status, doc, headers = sandbox.ctl("GET", url, headers=hdr)
        seen.append(headers)
        if doc["status"] not in ("Creating", "Updating", "Deleting"):
            return doc, seen
        time.sleep(0.05)
    raise AssertionError("the operation never ended")


def test_extension_operations_carry_no_retry_after_by_default(sandbox):
    """As recorded (R1, R2): neither the PUT's 201 nor the operation polls have Retry-After."""
    hdr = _auth(sandbox)
    status, _, headers = sandbox.ctl("PUT", EXT + "/flux?api-version=2023-05-01", BODY, headers=hdr)
    assert status == 201 and "Retry-After" not in headers and "Azure-AsyncOperation" in headers
    op_url = headers["Azure-AsyncOperation"].split(sandbox.url, 1)[1]
    doc, seen = _poll_until_done(sandbox, op_url, hdr)
    assert doc["status"] == "Succeeded" and len(seen) >= 2
    assert all("Retry-After" not in h for h in seen)
    status, _, headers = sandbox.ctl("DELETE", EXT + "/flux?api-version=2023-05-01", headers=hdr)
    assert status == 202 and "Retry-After" not in headers


def test_retry_after_turned_on_by_a_setting(sandbox):
    sandbox.settings(retry_after_seconds=1)
    hdr = _auth(sandbox)
    status, _, headers = sandbox.ctl("PUT", EXT + "/flux?api-version=2023-05-01", BODY, headers=hdr)
    assert status == 201
    op_url = headers["Azure-AsyncOperation"].split(sandbox.url, 1)[1]
    _, _, running = sandbox.ctl("GET", op_url, headers=hdr)
    assert running["Retry-After"] == "1"
    time.sleep(0.3)
    _, doc, done = sandbox.ctl("GET", op_url, headers=hdr)
    assert doc["status"] == "Succeeded" and "Retry-After" not in done
    for bad in (-1, 1.5, "1", True):
        assert sandbox.ctl("POST", "/_sandbox/settings", {"retry_after_seconds": bad})[0] == 400
    assert sandbox.settings(retry_after_seconds=None)["retry_after_seconds"] is None


@pytest.mark.parametrize("name", ["aml ext!", "-lead", "trail-", "under_score", "a" * 254, "ümlaut"])
def test_invalid_extension_name_is_refused_and_nothing_stored(sandbox, name):
    from urllib.parse import quote
    status, body, _ = sandbox.ctl("PUT", EXT + f"/{quote(name)}?api-version=2023-05-01", BODY, headers=_auth(sandbox))
    assert status == 400 and body["error"]["code"] == "InvalidResourceName"
    assert name in body["error"]["message"] and "letters, digits" in body["error"]["message"]
    assert sandbox.extensions() == []


@pytest.mark.parametrize("name", ["azureml", "AzureML-ext.1", "a", "a" * 253])
def test_valid_extension_names_are_accepted(sandbox, name):
    status, body, _ = sandbox.ctl("PUT", EXT + f"/{name}?api-version=2023-05-01", BODY, headers=_auth(sandbox))
    assert status == 201, body


def test_arm_404_codes(sandbox):
    hdr = _auth(sandbox)
    api = "?api-version=2023-05-01"
    # a resource group that does not exist: ARM answers before the resource provider
    missing_rg = EXT.replace(f"/resourceGroups/{RG}/", "/resourceGroups/rg-nowhere/")
    status, body, _ = sandbox.ctl("GET", missing_rg + "/x" + api, headers=hdr)
    assert status == 404 and body["error"]["code"] == "ResourceGroupNotFound"
    assert body["error"]["message"] == "Resource group 'rg-nowhere' could not be found."
    # the parent cluster missing: ARM's ResourceNotFound naming the cluster (Azure/azure-cli-extensions#9457)
    status, body, _ = sandbox.ctl("GET", EXT.replace("aks-aml-demo", "nope") + "/x" + api, headers=hdr)
    assert status == 404 and body["error"]["code"] == "ResourceNotFound"
    assert "Microsoft.ContainerService/managedClusters/nope" in body["error"]["message"]
    # the extension missing: the RP's own ResourceNotFound (arm-protocol.md §3, R5's shape)
    status, body, _ = sandbox.ctl("GET", EXT + "/x" + api, headers=hdr)
    assert status == 404 and body == {"error": {"code": "ResourceNotFound", "message": "Extension with name 'x' not found."}}
    # a missing subscription
    status, body, _ = sandbox.ctl("GET", EXT.replace(SUB, "00000000-0000-0000-0000-000000000000") + api, headers=hdr)
    assert status == 404 and body["error"]["code"] == "SubscriptionNotFound"


def test_cluster_seed_keeps_fields_of_the_later_buildings(sandbox):
    nodes = [{"name": "gpu", "count": 2, "cpu": "8", "memory": "32Gi", "gpu": 1, "labels": {"pool": "gpu"},
              "taints": [{"key": "sku", "value": "gpu", "effect": "NoSchedule"}]}]
    sandbox.seed_cluster(name="later", resource_group=RG, nodes=nodes, situations=["volcano_crds"])
    state = sandbox.state()
    rec = next(c for k, c in state["clusters"].items() if k.endswith("/managedclusters/later"))
    assert rec["seed"]["nodes"] == nodes and rec["seed"]["situations"] == ["volcano_crds"]
    for bad in ({"nodes": {"count": 1}}, {"situations": "volcano_crds"}):
        status, body, _ = sandbox.ctl("POST", "/_sandbox/clusters", {"name": "bad", **bad})
        assert status == 400 and body["error"]["code"] == "InvalidClusterSpec"


def test_one_seed_validation_for_single_and_batch(sandbox):
    """The same rule whether seeded alone or in a batch (the two copies used to disagree on the delay's bound)."""
    big = {"name": "slow", "provisioning_delay_seconds": 90000}
    single = sandbox.ctl("POST", "/_sandbox/clusters", big)
    batch = sandbox.ctl("POST", "/_sandbox/clusters", {"clusters": [{"name": "ok"}, big]})
    assert single[0] == batch[0] == 400 and single[1] == batch[1]
    assert not [c for c in sandbox.clusters() if c["name"] in ("ok", "slow")]
