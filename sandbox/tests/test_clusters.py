"""managedClusters (azure-mgmt-containerservice 41.8.0) and connectedClusters (azure-mgmt-hybridkubernetes 2.0.0)."""
from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from .conftest import RG, SUB, client_kwargs


@pytest.fixture
def aks(sandbox, credential):
    from azure.mgmt.containerservice import ContainerServiceClient
    return ContainerServiceClient(credential, SUB, **client_kwargs(sandbox))


def test_default_aks(aks):
    mc = aks.managed_clusters.get(RG, "aks-aml-demo")
    assert mc.location == "eastus" and mc.identity.type == "SystemAssigned" and mc.identity.principal_id
    assert mc.service_principal_profile.client_id == "msi"
    assert mc.disable_local_accounts is False
    assert mc.api_server_access_profile.authorized_ip_ranges == []
    assert sum(p.count for p in mc.agent_pool_profiles) == 3
    assert mc.agent_pool_profiles[0].mode == "System" and mc.agent_pool_profiles[0].os_type == "Linux"
    assert mc.provisioning_state == "Succeeded" and mc.power_state.code == "Running"
    assert [c.name for c in aks.managed_clusters.list_by_resource_group(RG)] == ["aks-aml-demo"]


def test_put_roundtrip_authorized_ranges(sandbox, aks):
    mc = aks.managed_clusters.get(RG, "aks-aml-demo")
    mc.api_server_access_profile.authorized_ip_ranges = ["20.1.2.0/24", "52.10.10.10"]
    poller = aks.managed_clusters.begin_create_or_update(RG, "aks-aml-demo", mc)
    out = poller.result()
    assert out.api_server_access_profile.authorized_ip_ranges == ["20.1.2.0/24", "52.10.10.10"]
    assert out.provisioning_state == "Succeeded"
    put = sandbox.requests(method="PUT")[0]
    assert "authorizedIPRanges" in put["request_body"]["properties"]["apiServerAccessProfile"]
    ops = sandbox.requests(path_contains="/Microsoft.ContainerService/locations/eastus/operations/")
    assert ops and ops[-1]["response_body"]["status"] == "Succeeded"


def test_put_new_cluster_201(sandbox, aks):
    from azure.mgmt.containerservice.models import ManagedCluster, ManagedClusterIdentity
    mc = ManagedCluster(location="westeurope", identity=ManagedClusterIdentity(type="SystemAssigned"),
                        properties={"dnsPrefix": "new", "agentPoolProfiles": [
                            {"name": "sys", "count": 1, "vmSize": "Standard_D2s_v3", "mode": "System"}]})
    out = aks.managed_clusters.begin_create_or_update(RG, "aks-new", mc).result()
    assert out.provisioning_state == "Succeeded" and out.service_principal_profile.client_id == "msi"
    assert sandbox.requests(method="PUT")[0]["status"] == 201
    inv = (sandbox.state_dir / "inventory.yml").read_text()
    assert "aks-new" in inv


@pytest.mark.parametrize("ranges,needle", [(["not-a-cidr"], "not-a-cidr"),
                                           ([f"20.0.{i // 256}.{i % 256}/32" for i in range(201)], "201")])
def test_put_rejects_bad_ranges(aks, ranges, needle):
    mc = aks.managed_clusters.get(RG, "aks-aml-demo")
    mc.api_server_access_profile.authorized_ip_ranges = ranges
    with pytest.raises(HttpResponseError) as err:
        aks.managed_clusters.begin_create_or_update(RG, "aks-aml-demo", mc)
    assert err.value.status_code == 400 and needle in err.value.message


def test_seeded_cluster_variants(sandbox, aks):
    sandbox.ctl("POST", "/_sandbox/clusters", {"clusters": [
        {"name": "aks-sp", "cluster_type": "managedClusters", "identity_type": "ServicePrincipal",
         "local_accounts": False, "authorized_ip_ranges": ["1.2.3.0/24"], "pod_identity": True, "node_count": 5},
        {"name": "aks-uai", "cluster_type": "managedClusters", "identity_type": "UserAssigned"}]})
    sp = aks.managed_clusters.get(RG, "aks-sp")
    assert sp.identity is None and sp.service_principal_profile.client_id != "msi"
    assert sp.disable_local_accounts is True and sp.pod_identity_profile.enabled is True
    assert sp.api_server_access_profile.authorized_ip_ranges == ["1.2.3.0/24"]
    uai = aks.managed_clusters.get(RG, "aks-uai")
    assert uai.identity.type == "UserAssigned" and len(uai.identity.user_assigned_identities) == 1
    assert sandbox.ctl("DELETE", "/_sandbox/clusters/managedClusters/aks-sp")[0] == 200
    with pytest.raises(ResourceNotFoundError):
        aks.managed_clusters.get(RG, "aks-sp")
    assert "aks-sp" not in (sandbox.state_dir / "inventory.yml").read_text()


def test_connected_clusters(sandbox, credential):
    from azure.mgmt.hybridkubernetes import ConnectedKubernetesClient
    client = ConnectedKubernetesClient(credential, SUB, **client_kwargs(sandbox))
    cc = client.connected_cluster.get(RG, "arc-aml-demo")
    assert cc.identity.type == "SystemAssigned" and cc.location == "eastus"
    assert cc.distribution == "k3s" and cc.total_node_count == 4 and cc.connectivity_status == "Connected"
    assert cc.provisioning_state == "Succeeded" and cc.kubernetes_version and cc.agent_version
    assert cc.infrastructure == "generic" and cc.total_core_count == 16
    sandbox.ctl("POST", "/_sandbox/clusters", {"name": "arc-off", "cluster_type": "connectedClusters",
                                                "distribution": "openshift", "connectivity_status": "Offline"})
    names = sorted(c.name for c in client.connected_cluster.list_by_resource_group(RG))
    assert names == ["arc-aml-demo", "arc-off"]
    assert client.connected_cluster.get(RG, "arc-off").connectivity_status == "Offline"
    with pytest.raises(ResourceNotFoundError) as err:
        client.connected_cluster.get(RG, "ghost")
    assert "Microsoft.Kubernetes/connectedClusters/ghost" in err.value.message
