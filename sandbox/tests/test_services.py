"""Providers, subscriptions/locations, serviceTags and Relay through their real SDK clients."""
from __future__ import annotations

import ipaddress

import pytest
from azure.core.exceptions import ResourceNotFoundError

from .conftest import RG, SUB, client_kwargs

PAIRS = {"eastus": "westus", "westus": "eastus", "eastus2": "centralus", "centralus": "eastus2",
         "westeurope": "northeurope", "northeurope": "westeurope", "westus2": "westcentralus",
         "westcentralus": "westus2", "southcentralus": "northcentralus", "northcentralus": "southcentralus",
         "uksouth": "ukwest", "ukwest": "uksouth"}


def test_provider_get_and_register(sandbox, credential):
    from azure.mgmt.resource.resources import ResourceManagementClient
    sub2 = "6b1e4d4a-0000-4000-8000-00000000b003"
    sandbox.ctl("POST", "/_sandbox/subscriptions", {"subscription_id": sub2, "providers": {
        "Microsoft.KubernetesConfiguration": "NotRegistered"}})
    rm = ResourceManagementClient(credential, SUB, **client_kwargs(sandbox))
    prov = rm.providers.get("Microsoft.KubernetesConfiguration")
    assert prov.registration_state == "Registered" and prov.namespace == "Microsoft.KubernetesConfiguration"
    ext_type = [t for t in prov.resource_types if t.resource_type == "extensions"][0]
    assert "2023-05-01" in ext_type.api_versions and "East US" in ext_type.locations
    rm2 = ResourceManagementClient(credential, sub2, **client_kwargs(sandbox))
    assert rm2.providers.get("Microsoft.KubernetesConfiguration").registration_state == "NotRegistered"
    assert rm2.providers.register("Microsoft.KubernetesConfiguration").registration_state == "Registering"
    import time
    time.sleep(0.2)
    assert rm2.providers.get("Microsoft.KubernetesConfiguration").registration_state == "Registered"


def test_subscriptions_and_locations(sandbox, credential):
    from azure.mgmt.resource.subscriptions import SubscriptionClient
    sc = SubscriptionClient(credential, **client_kwargs(sandbox))
    subs = list(sc.subscriptions.list())
    assert [s.subscription_id for s in subs] == [SUB]
    assert sc.subscriptions.get(SUB).state == "Enabled"
    locs = {loc.name: loc for loc in sc.subscriptions.list_locations(SUB)}
    assert len(locs) >= 10
    for a, b in PAIRS.items():
        assert [p.name for p in locs[a].metadata.paired_region] == [b]
    assert locs["eastus"].display_name == "East US"
    status, body, _ = sandbox.ctl("GET", "/subscriptions/00000000-0000-0000-0000-00000000dead?api-version=2022-12-01",
                                  headers={"Authorization": f"Bearer {sandbox.token()}"})
    assert status == 404 and body["error"]["code"] == "SubscriptionNotFound"


def test_service_tags(sandbox, credential):
    from azure.mgmt.network import NetworkManagementClient
    nc = NetworkManagementClient(credential, SUB, **client_kwargs(sandbox))
    tags = nc.service_tags.list("eastus")
    assert tags.name == "public" and tags.type == "Microsoft.Network/serviceTags" and tags.cloud == "Public"
    by_name = {v.name: v for v in tags["values"]}
    for name in ("AzureMachineLearning", "AzureMachineLearning.EastUS", "AzureMachineLearning.WestEurope",
                 "AzureCloud.EastUS", "ServiceBus.EastUS2"):
        assert name in by_name
    regional = by_name["AzureMachineLearning.EastUS"].properties
    assert regional.region == "eastus" and regional.system_service == "AzureMachineLearning"
    nets = [ipaddress.ip_network(p) for p in regional.address_prefixes]
    assert {n.version for n in nets} == {4, 6}
    assert set(regional.address_prefixes) <= set(by_name["AzureMachineLearning"].properties.address_prefixes)
    again = nc.service_tags.list("westus")
    assert [v.properties.address_prefixes for v in again["values"]] == [v.properties.address_prefixes for v in tags["values"]]


def test_relay_lifecycle(sandbox, credential):
    from azure.mgmt.relay import RelayAPIMgmtClient
    from azure.mgmt.relay.models import AuthorizationRule, HybridConnection, RelayNamespace, Sku
    relay = RelayAPIMgmtClient(credential, SUB, **client_kwargs(sandbox))
    ns = relay.namespaces.begin_create_or_update(RG, "arcamlrelay", RelayNamespace(
        location="eastus", sku=Sku(name="Standard", tier="Standard"), tags={"created_by": "Azure Arc-enabled ML"})).result()
    assert ns.properties.provisioning_state == "Succeeded"
    assert ns.properties.service_bus_endpoint.startswith("https://arcamlrelay.")
    assert relay.namespaces.get(RG, "arcamlrelay").tags == {"created_by": "Azure Arc-enabled ML"}
    hc = relay.hybrid_connections.create_or_update(RG, "arcamlrelay", "arc-aml-demo",
                                                   HybridConnection(requires_client_authorization=True))
    assert hc.name == "arc-aml-demo" and hc.requires_client_authorization is True
    rule = relay.hybrid_connections.create_or_update_authorization_rule(
        RG, "arcamlrelay", "arc-aml-demo", "azureml_rw", AuthorizationRule(rights=["Manage", "Send", "Listen"]))
    assert sorted(rule.rights) == ["Listen", "Manage", "Send"]
    assert relay.hybrid_connections.get_authorization_rule(RG, "arcamlrelay", "arc-aml-demo", "azureml_rw").name == "azureml_rw"
    keys = relay.hybrid_connections.list_keys(RG, "arcamlrelay", "arc-aml-demo", "azureml_rw")
    assert keys.primary_connection_string == (f"Endpoint=sb://arcamlrelay.servicebus.windows.net/;SharedAccessKeyName="
                                              f"azureml_rw;SharedAccessKey={keys.primary_key};EntityPath=arc-aml-demo")
    log_text = str(sandbox.requests())
    assert keys.primary_key not in log_text and keys.secondary_key not in log_text
    relay.hybrid_connections.delete(RG, "arcamlrelay", "arc-aml-demo")
    with pytest.raises(ResourceNotFoundError):
        relay.hybrid_connections.get(RG, "arcamlrelay", "arc-aml-demo")
    relay.namespaces.begin_delete(RG, "arcamlrelay").result()
    with pytest.raises(ResourceNotFoundError):
        relay.namespaces.get(RG, "arcamlrelay")
