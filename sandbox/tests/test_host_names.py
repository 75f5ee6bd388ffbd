"""Inventory host names (which are also kubeconfig contexts) are unique, however clusters share names."""
from sandbox.state.files import host_names


def _cluster(name, cluster_type="managedClusters", rg="rg", sub="12345678-aaaa"):
    return {"body": {"name": name}, "cluster_type": cluster_type, "resource_group": rg, "subscription": sub}


def test_a_unique_name_is_the_host_and_shared_names_are_qualified_until_unique():
    hosts = host_names({"a": _cluster("x"), "b": _cluster("x", "connectedClusters"), "c": _cluster("y"),
                        "d": _cluster("x", rg="rg2")})
    assert hosts == {"a": "x.rg.12345678.aks", "b": "x.rg.12345678.arc", "c": "y", "d": "x.rg2.12345678"}
    assert len(set(hosts.values())) == len(hosts)
