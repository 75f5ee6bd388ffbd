"""AKS Trusted Access role bindings (``.../managedClusters/{c}/trustedAccessRoleBindings[/{name}]``), driven by the
real azure-mgmt-containerservice client; the body shape of aml-operations-facts.md ("Trusted Access"); seeded
bindings, a custom kubelet identity, and bindings kept across a cluster PUT."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from .conftest import RG, SUB, client_kwargs

ROLE = "Microsoft.MachineLearningServices/workspaces/mlworkload"
WORKSPACE = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws1"
BINDINGS = (f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/managedClusters/"
            "{c}/trustedAccessRoleBindings")


@pytest.fixture
def aks(sandbox, credential):
    from azure.mgmt.containerservice import ContainerServiceClient
    return ContainerServiceClient(credential, SUB, **client_kwargs(sandbox))


def _body(source: str = WORKSPACE, roles: list[str] | None = None) -> dict:
    return {"properties": {"sourceResourceId": source, "roles": roles or [ROLE]}}


def test_put_get_list_delete_with_the_sdk(sandbox, aks):
    assert list(aks.trusted_access_role_bindings.list(RG, "aks-aml-demo")) == []
    created = aks.trusted_access_role_bindings.begin_create_or_update(
        RG, "aks-aml-demo", "ws1-ml", _body()).result()
    assert created.name == "ws1-ml" and created.source_resource_id == WORKSPACE and created.roles == [ROLE]
    assert created.provisioning_state == "Succeeded"
    assert created.id.endswith("/managedClusters/aks-aml-demo/trustedAccessRoleBindings/ws1-ml")
    put = sandbox.requests(method="PUT", path_contains="trustedAccessRoleBindings")[0]
    assert put["status"] == 201 and put["request_body"] == _body()
    again = aks.trusted_access_role_bindings.begin_create_or_update(RG, "aks-aml-demo", "ws1-ml", _body()).result()
    assert again.roles == [ROLE]
    assert sandbox.requests(method="PUT", path_contains="trustedAccessRoleBindings")[-1]["status"] == 200
    got = aks.trusted_access_role_bindings.get(RG, "aks-aml-demo", "WS1-ML")  # names are case-insensitive
    assert got.source_resource_id == WORKSPACE
    listed = list(aks.trusted_access_role_bindings.list(RG, "aks-aml-demo"))
    assert [b.name for b in listed] == ["ws1-ml"]
    assert listed[0].type == "Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings"
    aks.trusted_access_role_bindings.begin_delete(RG, "aks-aml-demo", "ws1-ml").result()
    with pytest.raises(ResourceNotFoundError):
        aks.trusted_access_role_bindings.get(RG, "aks-aml-demo", "ws1-ml")
    assert list(aks.trusted_access_role_bindings.list(RG, "aks-aml-demo")) == []


@pytest.mark.parametrize("api_version, status", [("2023-09-01", 200), ("2026-08-01", 200), ("2023-08-01", 400),
                                                 ("2023-05-02-preview", 400)])
def test_api_versions(sandbox, api_version, status):
    r = sandbox.arm("GET", BINDINGS.format(c="aks-aml-demo"), api_version=api_version)
    assert r.status_code == status, r.text
    if status == 400:
        assert r.json()["error"]["code"] == "InvalidApiVersionParameter"
    else:
        assert r.json() == {"value": [], "nextLink": None}


def test_bad_bodies_and_names(sandbox):
    path = BINDINGS.format(c="aks-aml-demo")
    cases = [("ok-name", {"properties": {"roles": [ROLE]}}, "properties.sourceResourceId"),
             ("ok-name", {"properties": {"sourceResourceId": WORKSPACE, "roles": []}}, "properties.roles"),
             ("-bad", _body(), "trustedAccessRoleBindingName"),
             ("x" * 25, _body(), "trustedAccessRoleBindingName")]
    for name, body, target in cases:
        r = sandbox.arm("PUT", f"{path}/{name}", body, api_version="2025-10-01")
        assert r.status_code == 400 and r.json()["error"]["target"] == target, r.text


def test_missing_cluster_and_binding(sandbox, aks):
    with pytest.raises(ResourceNotFoundError) as missing_cluster:
        list(aks.trusted_access_role_bindings.list(RG, "nope"))
    assert missing_cluster.value.error.code == "ResourceNotFound"
    with pytest.raises(ResourceNotFoundError) as missing:
        aks.trusted_access_role_bindings.get(RG, "aks-aml-demo", "nope")
    assert missing.value.error.code == "NotFound"
    r = sandbox.arm("DELETE", BINDINGS.format(c="aks-aml-demo") + "/nope", api_version="2025-10-01")
    assert r.status_code == 204


def test_seeded_bindings_and_kubelet_identity(sandbox, aks):
    sandbox.seed_cluster(name="aks-ta", resource_group=RG, local_accounts=False, kubelet_identity="custom",
                         trusted_access_bindings=[{"name": "ws1", "source_resource_id": WORKSPACE}])
    listed = list(aks.trusted_access_role_bindings.list(RG, "aks-ta"))
    assert [(b.name, b.source_resource_id, b.roles) for b in listed] == [("ws1", WORKSPACE, [ROLE])]
    mc = aks.managed_clusters.get(RG, "aks-ta")
    assert mc.disable_local_accounts is True
    kubelet = mc.identity_profile["kubeletidentity"].resource_id
    assert kubelet.endswith("/userAssignedIdentities/aks-ta-kubelet") and f"/resourceGroups/{RG}/" in kubelet
    default = aks.managed_clusters.get(RG, "aks-aml-demo").identity_profile["kubeletidentity"].resource_id
    assert "/resourcegroups/MC_" in default and default.endswith("-agentpool")
    # A PUT of the cluster (as the authorized IP ranges change makes it) keeps the bindings.
    mc.api_server_access_profile.authorized_ip_ranges = ["20.1.2.0/24"]
    aks.managed_clusters.begin_create_or_update(RG, "aks-ta", mc).result()
    assert [b.name for b in aks.trusted_access_role_bindings.list(RG, "aks-ta")] == ["ws1"]


@pytest.mark.parametrize("field, value", [("kubelet_identity", "mine"), ("trusted_access_bindings", "x"),
                                          ("trusted_access_bindings", [{"name": "a", "source_resource_id": "ws"}]),
                                          ("trusted_access_bindings", [{"name": "a", "source_resource_id": WORKSPACE,
                                                                        "roles": []}])])
def test_bad_seeds(sandbox, field, value):
    from sandbox.client import SandboxError

    with pytest.raises(SandboxError) as refused:
        sandbox.seed_cluster(**{field: value})
    assert refused.value.status == 400 and field in str(refused.value.body)


def test_put_on_missing_cluster(sandbox, aks):
    with pytest.raises(HttpResponseError) as refused:
        aks.trusted_access_role_bindings.begin_create_or_update(RG, "nope", "ws1", _body()).result()
    assert refused.value.status_code == 404
