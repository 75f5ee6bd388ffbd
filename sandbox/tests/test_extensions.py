"""Extensions: LRO protocol, recorded sequence R1, paging, PATCH/DELETE semantics, failures, conflicts."""
from __future__ import annotations

import time
import types

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.kubernetesconfiguration.models import Extension, PatchExtension, Scope, ScopeCluster

from .conftest import RG, SUB

AKS = (RG, "Microsoft.ContainerService", "managedClusters", "aks-aml-demo")
ARC = (RG, "Microsoft.Kubernetes", "connectedClusters", "arc-aml-demo")
EXT_PATH = (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Kubernetes/connectedClusters/arc-aml-demo"
            "/providers/Microsoft.KubernetesConfiguration/extensions")


def aml(**settings: str) -> Extension:
    return Extension(extension_type="Microsoft.AzureML.Kubernetes", auto_upgrade_minor_version=False,
                     version="1.1.64", release_train="stable",
                     scope=Scope(cluster=ScopeCluster(release_namespace="azureml")),
                     configuration_settings={"enableTraining": "True", **settings},
                     configuration_protected_settings={"relayServerConnectionString": "Endpoint=sb://x;Key=TOPSECRET"})


def _op_statuses(sandbox, since: int = 0) -> list[str]:
    """The distinct op-status values the SDK saw, in order (since= filters the log by sequence number)."""
    out: list[str] = []
    for e in sandbox.requests(path_contains="/operations/", method="GET", since=str(since)):
        if not out or out[-1] != e["response_body"]["status"]:
            out.append(e["response_body"]["status"])
    return out


def test_recorded_sequence_r1(sandbox, ext_client):
    """PUT new -> 201 + api-Version async header; {} protected settings; force delete 200 at once."""
    token = sandbox.token()
    hdr = {"Authorization": f"Bearer {token}"}
    body = {"properties": {"extensionType": "microsoft.dapr", "autoUpgradeMinorVersion": False,
                           "releaseTrain": "stable", "version": "1.6.0",
                           "scope": {"cluster": {"releaseNamespace": "dapr-system"}},
                           "configurationSettings": {"skipExistingDaprCheck": "true"},
                           "configurationProtectedSettings": {"k": "v-secret"}}}
    status, put, headers = sandbox.ctl("PUT", EXT_PATH + "/dapr?api-version=2023-05-01", body, headers=hdr)
    assert status == 201
    assert put["properties"]["provisioningState"] == "Creating"
    assert put["properties"]["configurationProtectedSettings"] == {}
    assert put["properties"]["currentVersion"] is None
    for absent in ("errorInfo", "customLocationSettings", "packageUri", "autoUpgradeMode", "extensionState"):
        assert absent not in put["properties"], absent  # R1 has none of them
    assert "/Microsoft.Kubernetes/ConnectedClusters/arc-aml-demo/" in headers["Azure-AsyncOperation"]
    assert headers["Azure-AsyncOperation"].endswith("?api-Version=2023-05-01")
    assert "Location" in headers and "Retry-After" not in headers
    assert int(headers["x-ms-ratelimit-remaining-subscription-writes"]) < 1200
    status, lst, _ = sandbox.ctl("GET", EXT_PATH + "?api-version=2023-05-01", headers=hdr)
    assert status == 200 and lst["nextLink"] is None and len(lst["value"]) == 1
    assert lst["value"][0]["properties"]["configurationProtectedSettings"] == {}
    status, got, _ = sandbox.ctl("GET", EXT_PATH + "/dapr?api-version=2023-05-01", headers=hdr)
    assert got["properties"]["configurationProtectedSettings"] == {}
    # R1: the GETs while still Creating already show currentVersion.
    assert got["properties"]["provisioningState"] == "Creating" and got["properties"]["currentVersion"] == "1.6.0"
    status, deleted, headers = sandbox.ctl("DELETE", EXT_PATH + "/dapr?api-version=2023-05-01&forceDelete=true",
                                           headers=hdr)
    assert status == 200
    assert deleted["version"] == "1.1" and deleted["content"] == {"headers": []} and deleted["statusCode"] == 200
    assert "Azure-AsyncOperation" not in headers and "Location" not in headers
    assert int(headers["x-ms-ratelimit-remaining-subscription-deletes"]) < 15000
    assert sandbox.ctl("GET", EXT_PATH + "?api-version=2023-05-01", headers=hdr)[1] == {"value": [], "nextLink": None}


def test_sdk_create_get_update_delete(sandbox, ext_client):
    poller = ext_client.extensions.begin_create(*AKS, "azureml", aml())
    ext = poller.result()
    assert ext.provisioning_state == "Succeeded" and ext.current_version == "1.1.64"
    assert ext.configuration_protected_settings == {} and ext.statuses == []
    assert ext.aks_assigned_identity.type == "SystemAssigned"
    got = ext_client.extensions.get(*AKS, "azureml")
    assert got.configuration_settings["enableTraining"] == "True"
    # The op status document went Creating -> Succeeded (the 0.2 s delay outlasts the first 0.05 s poll).
    assert _op_statuses(sandbox) == ["Creating", "Succeeded"]
    assert sandbox.requests(method="PUT")[0]["response_body"]["properties"]["provisioningState"] == "Creating"
    patch = PatchExtension(auto_upgrade_minor_version=False, release_train="stable",
                           configuration_settings={"enableInference": "False"})
    seq = sandbox.ctl("GET", "/_sandbox/requests")[1]["last_seq"]
    updated = ext_client.extensions.begin_update(*AKS, "azureml", patch).result()
    assert updated.configuration_settings == {"enableTraining": "True", "enableInference": "False"}
    assert [e["status"] for e in sandbox.requests(method="PATCH")] == [202]
    assert sandbox.requests(method="PATCH")[0]["response_body"]["properties"]["provisioningState"] == "Updating"
    assert _op_statuses(sandbox, since=seq) == ["Updating", "Succeeded"]
    # Same patch again: nothing changes -> 200, no LRO.
    ext_client.extensions.begin_update(*AKS, "azureml", patch).result()
    assert [e["status"] for e in sandbox.requests(method="PATCH")] == [202, 200]
    # Protected settings are replaced whole by PATCH.
    ext_client.extensions.begin_update(*AKS, "azureml", PatchExtension(
        auto_upgrade_minor_version=False, release_train="stable",
        configuration_protected_settings={"other": "x-secret"})).result()
    stored = sandbox.ctl("GET", "/_sandbox/extensions")[1]["value"][0]
    assert stored["protected_keys"] == ["other"] and stored["configurationProtectedSettings"] == {"other": "***"}
    seq = sandbox.ctl("GET", "/_sandbox/requests")[1]["last_seq"]
    assert ext_client.extensions.begin_delete(*AKS, "azureml").result() is None
    assert [e["status"] for e in sandbox.requests(method="DELETE")] == [202]
    assert _op_statuses(sandbox, since=seq) == ["Deleting", "Succeeded"]
    with pytest.raises(ResourceNotFoundError) as err:
        ext_client.extensions.get(*AKS, "azureml")
    assert err.value.error.code == "ResourceNotFound"
    # DELETE of an absent extension -> 204.
    ext_client.extensions.begin_delete(*AKS, "azureml").result()
    assert sandbox.requests(method="DELETE")[-1]["status"] == 204


def test_put_existing_200_and_immutable(sandbox, ext_client):
    ext_client.extensions.begin_create(*ARC, "azureml", aml()).result()
    ext_client.extensions.begin_create(*ARC, "azureml", aml(extra="1")).result()
    puts = sandbox.requests(method="PUT")
    assert [p["status"] for p in puts] == [201, 200]
    assert puts[1]["response_body"]["properties"]["provisioningState"] == "Updating"
    changed = aml()
    changed.extension_type = "microsoft.flux"
    with pytest.raises(HttpResponseError) as err:
        ext_client.extensions.begin_create(*ARC, "azureml", changed)
    assert err.value.status_code == 400 and err.value.error.code == "PropertyChangeNotAllowed"
    moved = aml()
    moved.scope = Scope(cluster=ScopeCluster(release_namespace="elsewhere"))
    with pytest.raises(HttpResponseError) as err:
        ext_client.extensions.begin_create(*ARC, "azureml", moved)
    assert err.value.status_code == 400 and "releaseNamespace" in err.value.message


def test_failed_install_health_check(sandbox, ext_client, credential):
    # 2 nodes + inference with inferenceRouterHA absent -> E40002 INSUFFICIENT_NODE.
    sandbox.ctl("POST", "/_sandbox/clusters", {"name": "aks-small", "cluster_type": "managedClusters",
                                                "location": "eastus", "node_count": 2})
    args = (RG, "Microsoft.ContainerService", "managedClusters", "aks-small")
    with pytest.raises(HttpResponseError) as err:
        ext_client.extensions.begin_create(*args, "azureml", aml(enableInference="true")).result()
    assert err.value.error.code == "ExtensionOperationFailed" and "E40002" in err.value.message
    got = ext_client.extensions.get(*args, "azureml")
    assert got.provisioning_state == "Failed"
    # R2's shape for a failed install: level, displayStatus and time are null; the code names the cause.
    assert got.statuses[0].code == "E40002" and got.statuses[0].level is None
    assert got.statuses[0].display_status is None and got.statuses[0].time is None
    assert "INSUFFICIENT_NODE" in got.statuses[0].message
    assert got.error_info.code == "E40002" and got.current_version is None
    # inferenceRouterHA=false passes; the PUT retries the failed install.
    ok = ext_client.extensions.begin_create(*args, "azureml", aml(enableInference="true", inferenceRouterHA="false")).result()
    assert ok.provisioning_state == "Succeeded" and ok.statuses == [] and ok.error_info is None
    # internalLoadBalancerProvider on Arc -> E40003.
    with pytest.raises(HttpResponseError) as err:
        ext_client.extensions.begin_create(*ARC, "azureml", aml(internalLoadBalancerProvider="azure")).result()
    assert "E40003" in err.value.message


def test_failure_rule_from_settings(sandbox, ext_client):
    sandbox.settings(failure_rules=[{"extension_type": "microsoft.azureml.kubernetes", "cluster_name": "aks-aml-demo",
                                     "setting_equals": {"enableTraining": "true"}, "code": "E45005",
                                     "message": "Azureml Fe deployment conflict"}])
    with pytest.raises(HttpResponseError) as err:
        ext_client.extensions.begin_create(*AKS, "azureml", aml()).result()
    assert "E45005" in err.value.message
    assert ext_client.extensions.get(*AKS, "azureml").statuses[0].message == "Azureml Fe deployment conflict"


def test_conflict_while_running(sandbox, ext_client):
    """arm-protocol.md §3: the write is accepted; its async operation ends Failed with UpdateFailed."""
    sandbox.settings(provisioning_delay_seconds=5)
    ext_client.extensions.begin_create(*AKS, "azureml", aml(), polling=False).result()
    poller = ext_client.extensions.begin_update(*AKS, "azureml", PatchExtension(
        auto_upgrade_minor_version=False, release_train="stable", configuration_settings={"a": "b"}))
    with pytest.raises(HttpResponseError) as err:
        poller.result()
    assert err.value.error.code == "UpdateFailed"
    assert "Update failed for this resource, as there is a conflicting operation in progress. Please try after " \
           "sometime." in err.value.message
    assert sandbox.requests(method="PATCH")[-1]["status"] == 202
    # The running install is untouched: still Creating, without the patched setting.
    got = ext_client.extensions.get(*AKS, "azureml")
    assert got.provisioning_state == "Creating" and "a" not in got.configuration_settings
    # The same for a PUT and a (non-forced) DELETE.
    with pytest.raises(HttpResponseError) as err:
        ext_client.extensions.begin_create(*AKS, "azureml", aml(extra="1")).result()
    assert err.value.error.code == "UpdateFailed"
    with pytest.raises(HttpResponseError) as err:
        ext_client.extensions.begin_delete(*AKS, "azureml").result()
    assert err.value.error.code == "UpdateFailed"
    assert ext_client.extensions.get(*AKS, "azureml").provisioning_state == "Creating"
    # A forced delete still works at once.
    ext_client.extensions.begin_delete(*AKS, "azureml", force_delete=True).result()
    assert sandbox.requests(method="DELETE")[-1]["status"] == 200


def test_paging_nextlink(sandbox, ext_client):
    sandbox.settings(page_size=2, provisioning_delay_seconds=0)
    for i in range(5):
        ext_client.extensions.begin_create(*ARC, f"ext{i}", Extension(extension_type="microsoft.flux"),
                                           polling=False).result()
    names = [e.name for e in ext_client.extensions.list(*ARC)]
    assert names == [f"ext{i}" for i in range(5)]
    pages = [e for e in sandbox.requests(method="GET") if e["path"].endswith("/extensions")]
    assert len(pages) == 3
    assert pages[0]["response_body"]["nextLink"] and pages[-1]["response_body"]["nextLink"] is None
    assert all(p["query"]["api-version"] == "2023-05-01" for p in pages)


def test_missing_cluster_and_extension(sandbox, ext_client):
    with pytest.raises(ResourceNotFoundError) as err:
        ext_client.extensions.get(RG, "Microsoft.Kubernetes", "connectedClusters", "nope", "azureml")
    assert err.value.error.code == "ResourceNotFound"
    assert "'Microsoft.Kubernetes/connectedClusters/nope' under resource group" in err.value.message
    with pytest.raises(ResourceNotFoundError) as err:
        ext_client.extensions.get(RG, "Microsoft.ContainerService", "managedClusters", "nope-aks", "azureml")
    assert err.value.error.code == "ResourceNotFound"
    assert err.value.error.message.startswith("The Resource 'Microsoft.ContainerService/managedClusters/nope-aks' "
                                              f"under resource group '{RG}' was not found.")
    with pytest.raises(ResourceNotFoundError):
        ext_client.extensions.begin_create(RG, "Microsoft.ContainerService", "managedClusters", "nope-aks",
                                           "azureml", aml())
    with pytest.raises(ResourceNotFoundError) as err:
        ext_client.extensions.get(*ARC, "missing")
    assert "Extension with name 'missing' not found" in err.value.message


@pytest.mark.parametrize("version", ["2022-03-01", "2022-11-01", "2023-05-01", "2024-11-01", "2025-03-01"])
def test_api_versions_accepted(sandbox, version):
    hdr = {"Authorization": f"Bearer {sandbox.token()}"}
    status, body, _ = sandbox.ctl("GET", EXT_PATH + f"?API-VERSION={version}", headers=hdr)
    assert status == 200, body


def test_api_version_errors(sandbox):
    hdr = {"Authorization": f"Bearer {sandbox.token()}"}
    status, body, _ = sandbox.ctl("GET", EXT_PATH, headers=hdr)
    assert status == 400 and body["error"]["code"] == "MissingApiVersionParameter"
    status, body, _ = sandbox.ctl("GET", EXT_PATH + "?api-version=2099-01-01", headers=hdr)
    assert status == 400 and body["error"]["code"] == "InvalidApiVersionParameter"
    assert "2023-05-01" in body["error"]["message"]


def test_sdk_older_api_version(sandbox, credential):
    from azure.mgmt.kubernetesconfiguration import SourceControlConfigurationClient
    from .conftest import client_kwargs
    c = SourceControlConfigurationClient(credential, SUB, api_version="2022-03-01", **client_kwargs(sandbox))
    ext = c.extensions.begin_create(*AKS, "flux", c.models().Extension(extension_type="microsoft.flux")).result()
    assert ext.provisioning_state == "Succeeded"


def test_missing_subscription_registration_auto_registers(sandbox, credential, monkeypatch):
    """409 MissingSubscriptionRegistration -> azure-mgmt-core registers the RP and retries the request."""
    from azure.mgmt.kubernetesconfiguration import SourceControlConfigurationClient
    from .conftest import client_kwargs
    sub2 = "6b1e4d4a-0000-4000-8000-00000000b002"
    sandbox.ctl("POST", "/_sandbox/subscriptions", {"subscription_id": sub2,
                                                     "providers": {"Microsoft.KubernetesConfiguration": "NotRegistered"}})
    sandbox.ctl("POST", "/_sandbox/clusters", {"subscription_id": sub2, "name": "aks-two", "cluster_type": "managedClusters"})
    import azure.mgmt.core.policies._base as base
    real_sleep = time.sleep
    # The policy calls time.sleep(10) per poll; give it a fast clone of the time module.
    monkeypatch.setattr(base, "time", types.SimpleNamespace(sleep=lambda s: real_sleep(0.15), time=time.time))
    c = SourceControlConfigurationClient(credential, sub2, **client_kwargs(sandbox))
    ext = c.extensions.begin_create(RG, "Microsoft.ContainerService", "managedClusters", "aks-two", "flux",
                                    Extension(extension_type="microsoft.flux")).result()
    assert ext.provisioning_state == "Succeeded"
    log = sandbox.requests(kind="arm")
    assert log[0]["status"] == 409 and log[0]["response_body"]["error"]["code"] == "MissingSubscriptionRegistration"
    assert log[0]["response_body"]["error"]["message"].rstrip(" .").split("'")[-2] != ""
    assert log[1]["method"] == "POST" and log[1]["path"].endswith("/Microsoft.KubernetesConfiguration/register")
    assert log[1]["response_body"]["registrationState"] == "Registering"
    assert any(e["method"] == "PUT" and e["status"] == 201 for e in log)


def test_raw_protocol_details(sandbox):
    """Op status document shape and Retry-After; no-op PUT; PATCH of immutables; version+autoUpgrade."""
    sandbox.settings(provisioning_delay_seconds=3, retry_after_seconds=1)
    hdr = {"Authorization": f"Bearer {sandbox.token()}"}
    body = {"properties": {"extensionType": "microsoft.flux", "autoUpgradeMinorVersion": False, "version": "1.0.0"}}
    status, _, headers = sandbox.ctl("PUT", EXT_PATH + "/flux?api-version=2023-05-01", body, headers=hdr)
    op_url = headers["Azure-AsyncOperation"]
    assert op_url.startswith(sandbox.url)
    status, doc, op_headers = sandbox.ctl("GET", op_url[len(sandbox.url):], headers=hdr)
    assert status == 200 and op_headers["Retry-After"] == "1"
    assert doc["status"] == "Creating" and doc["properties"] == {} and doc["error"] is None
    assert doc["name"] == op_url.rsplit("/", 1)[1].split("?")[0] and doc["id"].endswith(doc["name"])
    status, body, headers = sandbox.ctl("PATCH", EXT_PATH + "/flux?api-version=2023-05-01",
                                        {"properties": {"configurationSettings": {"a": "b"}}}, headers=hdr)
    assert status == 202 and body["properties"]["provisioningState"] == "Creating"
    status, doc, _ = sandbox.ctl("GET", headers["Azure-AsyncOperation"][len(sandbox.url):], headers=hdr)
    assert status == 200 and doc["status"] == "Failed" and doc["error"]["code"] == "UpdateFailed"
    sandbox.settings(provisioning_delay_seconds=0)
    sandbox.ctl("DELETE", EXT_PATH + "/flux?api-version=2023-05-01&forceDelete=true", headers=hdr)
    sandbox.ctl("PUT", EXT_PATH + "/flux?api-version=2023-05-01", body, headers=hdr)
    time.sleep(0.05)
    status, same, headers = sandbox.ctl("PUT", EXT_PATH + "/flux?api-version=2023-05-01", body, headers=hdr)
    assert status == 200 and same["properties"]["provisioningState"] == "Succeeded"
    assert "Azure-AsyncOperation" not in headers
    status, err, _ = sandbox.ctl("PATCH", EXT_PATH + "/flux?api-version=2023-05-01",
                                 {"properties": {"extensionType": "microsoft.dapr"}}, headers=hdr)
    assert status == 400 and err["error"]["code"] == "PropertyChangeNotAllowed"
    status, err, _ = sandbox.ctl("PATCH", EXT_PATH + "/flux?api-version=2023-05-01",
                                 {"properties": {"scope": {"namespace": {"targetNamespace": "x"}}}}, headers=hdr)
    assert status == 400 and err["error"]["code"] == "PropertyChangeNotAllowed"
    bad = {"properties": {"extensionType": "microsoft.flux", "autoUpgradeMinorVersion": True, "version": "1.0.0"}}
    status, err, _ = sandbox.ctl("PUT", EXT_PATH + "/other?api-version=2023-05-01", bad, headers=hdr)
    assert status == 400 and "autoUpgradeMinorVersion" in err["error"]["message"]
    # A PUT asking for a system-assigned identity gets one.
    ident = {"identity": {"type": "SystemAssigned"}, "properties": {"extensionType": "microsoft.flux"}}
    status, created, _ = sandbox.ctl("PUT", EXT_PATH + "/withid?api-version=2025-03-01", ident, headers=hdr)
    assert status == 201 and created["identity"]["type"] == "SystemAssigned" and created["identity"]["principalId"]
    assert created["properties"]["aksAssignedIdentity"] is None  # Arc cluster
