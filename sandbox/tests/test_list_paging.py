"""Fidelity: the cluster lists ARM has for both cluster types (subscription and resource group scope) page
through nextLink as Resource Manager does, and the real SDK pagers read every page."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import SUB, client_kwargs

MC = "Microsoft.ContainerService/managedClusters"
CC = "Microsoft.Kubernetes/connectedClusters"
API = {MC: "2026-08-01", CC: "2026-05-01"}


def _seed(sandbox, n_aks: int, n_arc: int, rg: str = "rg-paging") -> None:
    """One batch (the control call's own timeout is too short for a hundred clusters' kubeconfig entries)."""
    specs = [{"name": f"pg-aks-{i:03d}", "cluster_type": "managedClusters", "resource_group": rg}
             for i in range(n_aks)]
    specs += [{"name": f"pg-arc-{i:03d}", "cluster_type": "connectedClusters", "resource_group": rg,
               "distribution": "k3s", "connectivity_status": "Connected"} for i in range(n_arc)]
    r = sandbox.call("POST", "/_sandbox/clusters", {"clusters": [dict(s, location="eastus", node_count=3) for s in specs]},
                     timeout=600)
    assert r.status_code == 201, r.text


def _walk(sandbox, path: str, api: str) -> tuple[list[dict], list[str]]:
    """Follow nextLink as a client does; returns the items and every nextLink seen."""
    items, links = [], []
    r = sandbox.arm("GET", path, api_version=api)
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"value", "nextLink"}
        items += body["value"]
        if not body["nextLink"]:
            assert body["nextLink"] is None
            return items, links
        links.append(body["nextLink"])
        r = sandbox.call("GET", body["nextLink"].replace(sandbox.url, ""),
                         headers={"Authorization": f"Bearer {sandbox.token()}"})


@pytest.mark.parametrize("rtype", [MC, CC])
@pytest.mark.parametrize("scope", ["subscription", "resource_group"])
def test_lists_page_by_next_link(sandbox, rtype: str, scope: str) -> None:
    sandbox.settings(cluster_page_size=3)
    _seed(sandbox, 7, 7)
    path = f"/subscriptions/{SUB}" + ("/resourceGroups/rg-paging" if scope == "resource_group" else "")
    items, links = _walk(sandbox, f"{path}/providers/{rtype}", API[rtype])
    kind = "aks" if rtype == MC else "arc"
    names = [i["name"] for i in items if i["name"].startswith("pg-")]
    assert names == [f"pg-{kind}-{i:03d}" for i in range(7)]
    # the default world's cluster of this type is in the subscription-wide list only
    assert len(items) == (8 if scope == "subscription" else 7)
    assert len(links) == (len(items) - 1) // 3
    for n, link in enumerate(links, start=1):
        parts = urlsplit(link)
        assert link.startswith(sandbox.url) and parts.path.lower() == f"{path}/providers/{rtype}".lower()
        query = parse_qs(parts.query)
        assert query["api-version"] == [API[rtype]] and query["$skipToken"] == [str(3 * n)]


def test_default_page_is_100(sandbox) -> None:
    _seed(sandbox, 0, 101)
    r = sandbox.arm("GET", f"/subscriptions/{SUB}/providers/{CC}", api_version=API[CC])
    body = r.json()
    assert len(body["value"]) == 100 and "$skipToken=100" in body["nextLink"]


def test_bad_skip_token(sandbox) -> None:
    for token in ("x", "-1", "100000"):
        r = sandbox.arm("GET", f"/subscriptions/{SUB}/providers/{MC}", api_version=API[MC],
                        params={"$skipToken": token})
        assert r.status_code == 400 and r.json()["error"]["code"] == "InvalidSkipToken"


def test_empty_resource_group_list(sandbox) -> None:
    """A resource group with no AKS cluster lists none; one that does not exist is ARM's 404."""
    _seed(sandbox, 0, 1, rg="rg-arc-only")
    r = sandbox.arm("GET", f"/subscriptions/{SUB}/resourceGroups/rg-arc-only/providers/{MC}", api_version=API[MC])
    assert r.status_code == 200 and r.json() == {"value": [], "nextLink": None}
    r = sandbox.arm("GET", f"/subscriptions/{SUB}/resourceGroups/rg-nothing/providers/{MC}", api_version=API[MC])
    assert r.status_code == 404 and r.json()["error"]["code"] == "ResourceGroupNotFound"


def test_sdk_pagers_read_every_page(sandbox, credential) -> None:
    from azure.mgmt.containerservice import ContainerServiceClient
    from azure.mgmt.hybridkubernetes import ConnectedKubernetesClient

    sandbox.settings(cluster_page_size=4)
    _seed(sandbox, 9, 10)
    since = sandbox.last_seq()
    cs = ContainerServiceClient(credential, SUB, **client_kwargs(sandbox))
    hk = ConnectedKubernetesClient(credential, SUB, **client_kwargs(sandbox))
    assert sum(1 for c in cs.managed_clusters.list() if c.name.startswith("pg-")) == 9
    assert sum(1 for c in cs.managed_clusters.list_by_resource_group("rg-paging")) == 9
    assert sum(1 for c in hk.connected_cluster.list_by_subscription() if c.name.startswith("pg-")) == 10
    assert sum(1 for c in hk.connected_cluster.list_by_resource_group("rg-paging")) == 10
    pages = [r for r in sandbox.requests(since=since) if "skiptoken" in r["path"].lower()
             or "skiptoken" in str(r.get("query", "")).lower()]
    assert pages, "the SDK pagers followed no nextLink"
