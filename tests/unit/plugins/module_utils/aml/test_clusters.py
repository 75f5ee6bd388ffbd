"""Cluster facts: one type, the cluster id built as az k8s-extension builds it."""

from __future__ import annotations

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.clusters import (
    ClusterFacts,
    cluster_facts,
    cluster_resource_id,
    facts_from_settings,
)

SUB = "6b1e4d4a-0000-4000-8000-00000000a001"
# What AKS returns: `id` with /resourcegroups/ in lower case.
AKS = {"id": f"/subscriptions/{SUB}/resourcegroups/rg-aml/providers/Microsoft.ContainerService/managedClusters/aks1",
       "name": "aks1", "location": "EastUS",
       "properties": {"agentPoolProfiles": [{"count": 1}, {"count": 1}], "kubernetesVersion": "1.30",
                      "provisioningState": "Succeeded"}}
ARC = {"id": f"/subscriptions/{SUB}/resourceGroups/rg-aml/providers/Microsoft.Kubernetes/connectedClusters/arc1",
       "name": "arc1", "location": "westeurope", "properties": {"totalNodeCount": 4, "distribution": "OpenShift"}}


def test_the_cluster_id_is_the_clis_not_akss():
    facts = cluster_facts("managedClusters", AKS, subscription_id=SUB, resource_group="rg-aml", cluster_name="aks1")
    assert facts.resource_id == (f"/subscriptions/{SUB}/resourceGroups/rg-aml/providers/"
                                 "Microsoft.ContainerService/managedClusters/aks1")
    assert facts.resource_id != AKS["id"] and facts.resource_id.lower() == AKS["id"].lower()
    assert facts.view()["id"] == facts.resource_id


def test_arc_id_node_count_and_distribution():
    facts = cluster_facts("connectedClusters", ARC, subscription_id=SUB, resource_group="rg-aml", cluster_name="arc1")
    assert facts.resource_id == ARC["id"] == cluster_resource_id(SUB, "rg-aml", "connectedClusters", "arc1")
    assert (facts.node_count, facts.distribution, facts.small) == (4, "OpenShift", False)


def test_small_clusters_and_unknown_counts():
    aks = cluster_facts("managedClusters", AKS, subscription_id=SUB, resource_group="rg-aml", cluster_name="aks1")
    assert aks.node_count == 2 and aks.small
    assert not ClusterFacts("managedClusters", "id", "n", "eastus").small  # unknown is not small
    assert aks.view() == {"cluster_type": "managedClusters", "id": aks.resource_id, "name": "aks1", "location": "EastUS",
                          "node_count": 2, "distribution": None, "kubernetes_version": "1.30",
                          "provisioning_state": "Succeeded"}


def test_facts_from_an_extensions_settings_need_every_setting_computed_from_the_cluster():
    settings = {"location": "eastus", "domain": "eastus.cloudapp.azure.com", "jobSchedulerLocation": "eastus",
                "cluster_name_friendly": "aks1", "enableTraining": "True"}
    facts = facts_from_settings("managedClusters", settings, subscription_id=SUB, resource_group="rg-aml",
                                cluster_name="aks1")
    assert facts == ClusterFacts("managedClusters", cluster_resource_id(SUB, "rg-aml", "managedClusters", "aks1"),
                                 "aks1", "eastus")
    assert facts.node_count is None and not facts.small  # unknown: the heuristics wait for a write
    for key in ("location", "domain", "jobSchedulerLocation", "cluster_name_friendly"):
        lacking = {k: v for k, v in settings.items() if k != key}
        assert facts_from_settings("managedClusters", lacking, subscription_id=SUB, resource_group="rg-aml",
                                   cluster_name="aks1") is None, key
