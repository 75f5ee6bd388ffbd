"""The inventory plugin azureml.kubernetes.aml_clusters, run by ansible-inventory against the sandbox.

Each test lists subscriptions of its own (seeded here), so what other tests seed meanwhile is not listed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.extension_state import IN_PROGRESS
from tests.support.plays import ansible_env

EXT_API = "2023-05-01"
MC = "Microsoft.ContainerService/managedClusters"
CC = "Microsoft.Kubernetes/connectedClusters"
# The fleet test's size: 500 clusters in two subscriptions at ARM's page of 100 when AML_INVENTORY_FLEET_SIZE=500;
# by default a smaller fleet at pages of 10, which walks the same nextLink chains (seeding a cluster costs the
# sandbox its kubeconfig entry, which grows with the world).
FLEET_SIZE = int(os.environ.get("AML_INVENTORY_FLEET_SIZE", "500"))
FLEET_PAGE = 100 if FLEET_SIZE >= 400 else 10


def plain(value: Any) -> Any:
    """ansible-inventory's JSON without its {"__ansible_unsafe": ...} wrappers."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def inventory(sandbox, tmp_path: Path, env: dict[str, str] | None = None, expect_ok: bool = True, name: str = "",
              **options: Any) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    # the cache is keyed by the source's path: runs that share a cache share a name
    source = tmp_path / f"{name or uuid.uuid4().hex[:6]}.aml_clusters.yml"
    source.write_text(yaml.safe_dump({"plugin": "azureml.kubernetes.aml_clusters", **options}))
    done = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(source), "--list"],
                          env=ansible_env(sandbox.env, {"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true", **(env or {})}),
                          capture_output=True, text=True, timeout=600, check=False)
    if expect_ok:
        assert done.returncode == 0, done.stderr[-4000:]
        return plain(json.loads(done.stdout)), done
    return {}, done


def hosts_of(listing: dict[str, Any], group: str) -> set[str]:
    return set(listing.get(group, {}).get("hosts", []))


def put_extension(sandbox, cluster: dict[str, Any], name: str, ext_type: str, settings: dict[str, str]) -> str:
    rtype = MC if cluster["cluster_type"] == "managedClusters" else CC
    path = (f"/subscriptions/{cluster['subscription_id']}/resourceGroups/{cluster['resource_group']}/providers/"
            f"{rtype}/{cluster['name']}/providers/Microsoft.KubernetesConfiguration/extensions/{name}")
    r = sandbox.arm("PUT", path, {"properties": {
        "extensionType": ext_type, "autoUpgradeMinorVersion": True, "releaseTrain": "stable",
        "scope": {"cluster": {"releaseNamespace": "azureml"}}, "configurationSettings": settings}}, api_version=EXT_API)
    assert r.status_code in (200, 201), r.text
    return path


def wait_state(sandbox, path: str, state: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sandbox.arm("GET", path, api_version=EXT_API).json()["properties"]["provisioningState"] == state:
            return
        time.sleep(1)
    raise AssertionError(f"{path} did not reach {state}")


@pytest.fixture
def world(sandbox):
    """A subscription of clusters of both types, regions, tags, a shared name, and AML extensions in each state
    that needs no control plane: Failed (the health check's E40002 on 2 nodes), Creating (a long delay), absent
    (only another extension type)."""
    sub = sandbox.seed_subscription()
    uid = uuid.uuid4().hex[:6]
    spec = dict(subscription_id=sub, resource_group=f"rg-inv-{uid}")
    c = {
        "aks_east": dict(spec, name=f"inv-{uid}-aks-east", cluster_type="managedClusters", location="eastus",
                         tags={"env": "prod", "team": "ml"}),
        "aks_west": dict(spec, name=f"inv-{uid}-aks-west", cluster_type="managedClusters", location="westus",
                         node_count=2, tags={"env": "dev"}),
        "arc_east": dict(spec, name=f"inv-{uid}-arc-east", cluster_type="connectedClusters", location="eastus",
                         distribution="k3s", connectivity_status="Connected", provisioning_delay_seconds=900,
                         tags={"env": "prod"}),
        "dup_a": dict(spec, name=f"inv-{uid}-dup", cluster_type="managedClusters", location="eastus",
                      resource_group=f"rg-inv-{uid}-a"),
        "dup_b": dict(spec, name=f"inv-{uid}-dup", cluster_type="connectedClusters", location="westus",
                      resource_group=f"rg-inv-{uid}-b", distribution="k3s", connectivity_status="Connected"),
    }
    seeded = dict(zip(c, sandbox.seed_clusters(c.values())))
    failed = put_extension(sandbox, seeded["aks_west"], "azureml", "Microsoft.AzureML.Kubernetes",
                           {"enableInference": "True", "inferenceRouterServiceType": "LoadBalancer",
                            "allowInsecureConnections": "True"})
    put_extension(sandbox, seeded["arc_east"], "ml-edge", "Microsoft.AzureML.Kubernetes", {"enableTraining": "True"})
    put_extension(sandbox, seeded["aks_east"], "flux", "microsoft.flux", {})
    wait_state(sandbox, failed, "Failed")
    return dict(sub=sub, uid=uid, clusters=seeded)


def static_hostvars(sandbox) -> dict[str, dict[str, Any]]:
    """The sandbox's static inventory, as host -> variables (group variables included)."""
    doc = yaml.safe_load((sandbox.state_dir / "inventory.yml").read_text())
    top = doc["all"]["children"]["aml_clusters"]
    return {host: {**top["vars"], **variables} for group in top["children"].values()
            for host, variables in (group.get("hosts") or {}).items()}


def test_lists_both_types_with_groups_and_the_static_inventorys_hostvars(sandbox, world, tmp_path):
    listing, _run = inventory(sandbox, tmp_path, subscriptions=[world["sub"]])
    uid, sub8 = world["uid"], world["sub"][:8]
    names = {k: c["name"] for k, c in world["clusters"].items()}
    dup_a, dup_b = f"{names['dup_a']}.rg-inv-{uid}-a.{sub8}", f"{names['dup_b']}.rg-inv-{uid}-b.{sub8}"
    hostvars = listing["_meta"]["hostvars"]
    assert set(hostvars) == {names["aks_east"], names["aks_west"], names["arc_east"], dup_a, dup_b}
    assert hosts_of(listing, "aks") == {names["aks_east"], names["aks_west"], dup_a}
    assert hosts_of(listing, "arc") == {names["arc_east"], dup_b}
    assert set(listing["aml_clusters"]["children"]) >= {"aks", "arc"}
    assert hosts_of(listing, "region_eastus") == {names["aks_east"], names["arc_east"], dup_a}
    assert hosts_of(listing, "region_westus") == {names["aks_west"], dup_b}
    assert hosts_of(listing, "aml_failed") == {names["aks_west"]}
    assert hosts_of(listing, "aml_in_progress") == {names["arc_east"]}
    assert hosts_of(listing, "aml_absent") == {names["aks_east"], dup_a, dup_b}
    assert (hostvars[names["aks_west"]]["aml_extension_name"], hostvars[names["aks_west"]]["aml_extension_state"]) \
        == ("azureml", "failed")
    assert hostvars[names["arc_east"]]["aml_extension_name"] == "ml-edge"
    assert hostvars[names["aks_east"]]["aml_extension_name"] is None  # flux is not the AML extension
    # the same variables as the sandbox's static inventory, for the same clusters (kube contexts included)
    static = static_hostvars(sandbox)
    for host, variables in hostvars.items():
        assert {k: v for k, v in variables.items() if not k.startswith("aml_extension_")} == static[host], host


def test_extension_state_is_what_each_host_reads_for_itself(sandbox, world, tmp_path):
    """The read path (one inventory process) gives each cluster the AML extension that aml_extension_info, run per
    host over the same inventory, finds for it: same name, same state, same version."""
    source = tmp_path / "same.aml_clusters.yml"
    source.write_text(yaml.safe_dump({"plugin": "azureml.kubernetes.aml_clusters", "subscriptions": [world["sub"]]}))
    out = tmp_path / "per-host"
    out.mkdir()
    playbook = tmp_path / "per-host.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "aml_clusters", "gather_facts": False, "tasks": [
        {"name": "read", "register": "found", "azureml.kubernetes.aml_extension_info": {
            "cluster_type": "{{ aml_cluster_type }}", "cluster_name": "{{ aml_cluster_name }}",
            "resource_group": "{{ aml_resource_group }}", "subscription_id": "{{ aml_subscription_id }}",
            "extension_type": "Microsoft.AzureML.Kubernetes"}},
        {"name": "keep", "ansible.builtin.copy": {
            "dest": str(out) + "/{{ inventory_hostname }}.json",
            "content": "{{ {'inventory': [aml_extension_name, aml_extension_state, aml_extension_version],"
                       " 'per_host': found.extensions} | to_json }}"}}]}]))
    done = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(source), str(playbook)],
                          env=ansible_env(sandbox.env), capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    in_progress = {s.lower() for s in IN_PROGRESS}
    seen = {}
    for path in out.glob("*.json"):
        record = json.loads(path.read_text())
        aml = sorted(record["per_host"], key=lambda e: e["name"].lower())
        state = (aml[0]["provisioning_state"] or "").lower() if aml else None
        per_host = [None, "absent", None] if not aml else [
            aml[0]["name"], "installed" if state == "succeeded" else "in_progress" if state in in_progress else "failed",
            aml[0]["current_version"] or aml[0]["version"]]
        assert record["inventory"] == per_host, path.stem
        seen[path.stem] = per_host[1]
    assert len(seen) == len(world["clusters"])
    assert set(seen.values()) == {"failed", "in_progress", "absent"}  # the world's states, each compared


def test_filters_compose_and_keyed_groups(sandbox, world, tmp_path):
    names = {k: c["name"] for k, c in world["clusters"].items()}
    listing, _run = inventory(sandbox, tmp_path, subscriptions=[world["sub"]], tags={"env": "prod"},
                              cluster_types=["managedClusters"], read_extensions=False,
                              keyed_groups=[{"key": "tags.team | default('none')", "prefix": "team"}],
                              compose={"aml_is_prod": "tags.env == 'prod'"})
    hostvars = listing["_meta"]["hostvars"]
    assert set(hostvars) == {names["aks_east"]}
    assert hosts_of(listing, "team_ml") == {names["aks_east"]}
    assert hostvars[names["aks_east"]]["aml_is_prod"] is True
    assert "aml_extension_state" not in hostvars[names["aks_east"]]
    assert not any(g.startswith("aml_absent") for g in listing)

    since = sandbox.last_seq()
    listing, _run = inventory(sandbox, tmp_path, subscriptions=[world["sub"]], read_extensions=False,
                              resource_groups=[f"rg-inv-{world['uid']}", f"RG-INV-{world['uid']}-B"],
                              regions=["West US"], name_patterns=["*-AKS-*", "*-dup"])
    assert set(listing["_meta"]["hostvars"]) == {names["aks_west"], names["dup_b"]}
    lists = [r["path"] for r in sandbox.requests(since=since, method="GET")
             if r["path"].lower().endswith(("/managedclusters", "/connectedclusters"))]
    # resource-group scoped list requests only, one per group and type
    assert len(lists) == 4 and all("/resourcegroups/" in p.lower() for p in lists)


def test_fleet_in_two_subscriptions_pages_and_caches(sandbox, tmp_path):
    subs = [sandbox.seed_subscription(), sandbox.seed_subscription()]
    uid = uuid.uuid4().hex[:6]
    per_type = FLEET_SIZE // 4
    specs = [dict(name=f"fl-{uid}-{i}-{t[:3]}-{n:03d}", cluster_type=t, subscription_id=sub, resource_group=f"rg-fl-{uid}",
                  location=("eastus", "westeurope")[n % 2], node_count=3,
                  **({"distribution": "k3s", "connectivity_status": "Connected"} if t == "connectedClusters" else {}))
             for i, sub in enumerate(subs) for t in ("managedClusters", "connectedClusters") for n in range(per_type)]
    # one batch; the control client's 30 s timeout is too short for hundreds of clusters
    r = sandbox.call("POST", "/_sandbox/clusters", {"clusters": specs}, timeout=1800)
    assert r.status_code == 201, r.text
    settings = sandbox.settings()
    sandbox.settings(cluster_page_size=FLEET_PAGE)
    try:
        since = sandbox.last_seq()
        cache = dict(cache=True, cache_plugin="ansible.builtin.jsonfile", cache_connection=str(tmp_path / "cache"),
                     cache_timeout=3600)
        started = time.monotonic()
        source_options = dict(subscriptions=subs, extension_workers=8, name="fleet", **cache)
        listing, _run = inventory(sandbox, tmp_path, **source_options)
        elapsed = time.monotonic() - started
        hosts = set(listing["_meta"]["hostvars"])
        assert hosts == {s["name"] for s in specs}
        assert hosts_of(listing, "aml_absent") == hosts
        assert len(hosts_of(listing, "aks")) == len(hosts_of(listing, "arc")) == FLEET_SIZE // 2
        # other tests run beside this one: only requests into these two subscriptions are this test's
        logged = [e for e in sandbox.requests(since=since, method="GET") if e["path"].split("/")[2:3] in ([subs[0]], [subs[1]])]
        pages = [e for e in logged if e["path"].lower().endswith(("/managedclusters", "/connectedclusters"))]
        next_pages = [e for e in pages if any(k.lower() == "$skiptoken" for k in e.get("query") or {})]
        pages_per_list = -(-per_type // FLEET_PAGE)
        assert len(pages) == 4 * pages_per_list  # 2 subscriptions x 2 types, each walked to its last page
        assert len(next_pages) == 4 * (pages_per_list - 1) and next_pages
        assert {e["path"].split("/")[2] for e in next_pages} == set(subs)
        extension_lists = [e for e in logged if e["path"].lower().endswith("/microsoft.kubernetesconfiguration/extensions")]
        assert len(extension_lists) == FLEET_SIZE
        print(f"listed {FLEET_SIZE} clusters in {elapsed:.1f} s")

        # the cache: a second run sends nothing to Azure. Its identity endpoint goes nowhere, so a token
        # request would fail the run; other tests' requests run beside it, so only these subscriptions count.
        since = sandbox.last_seq()
        again, _run = inventory(sandbox, tmp_path, env={"IDENTITY_ENDPOINT": "http://127.0.0.1:9/token"}, **source_options)
        assert again["_meta"]["hostvars"] == listing["_meta"]["hostvars"]
        assert [e for e in sandbox.requests(since=since, kind="arm") if e["path"].split("/")[2:3] in ([subs[0]], [subs[1]])] == []
        # and that endpoint does fail a run the cache does not answer
        _listing, uncached = inventory(sandbox, tmp_path, env={"IDENTITY_ENDPOINT": "http://127.0.0.1:9/token"},
                                       expect_ok=False, subscriptions=subs, read_extensions=False)
        assert uncached.returncode != 0
    finally:
        sandbox.settings(cluster_page_size=settings.get("cluster_page_size", 100))


def test_auth_through_the_environment(sandbox, world, tmp_path):
    names = {k: c["name"] for k, c in world["clusters"].items()}
    # a service principal from AZURE_* (no managed identity in the environment), the subscription from
    # AZURE_SUBSCRIPTION_ID, the cloud from AZURE_CLOUD_ENVIRONMENT
    sp = {"ANSIBLE_AZURE_AUTH_SOURCE": "env", "AZURE_CLIENT_ID": sandbox.client_id, "AZURE_SECRET": sandbox.client_secret,
          "AZURE_TENANT": sandbox.tenant_id, "AZURE_SUBSCRIPTION_ID": world["sub"], "IDENTITY_ENDPOINT": "",
          "IDENTITY_HEADER": ""}
    since = sandbox.last_seq()
    listing, _run = inventory(sandbox, tmp_path, env=sp, read_extensions=False)
    assert names["aks_east"] in listing["_meta"]["hostvars"]
    assert any(e.get("kind") == "auth" for e in sandbox.requests(since=since))

    secret = "not-the-secret-" + uuid.uuid4().hex
    _listing, done = inventory(sandbox, tmp_path, env=dict(sp, AZURE_SECRET=secret), expect_ok=False, read_extensions=False)
    assert done.returncode != 0
    assert "auth_source" in done.stderr and secret not in done.stderr + done.stdout

    _listing, done = inventory(sandbox, tmp_path, env={"ANSIBLE_AZURE_AUTH_SOURCE": "env", "AZURE_CLIENT_ID": ""},
                               expect_ok=False)
    assert done.returncode != 0 and "AZURE_CLIENT_ID, AZURE_SECRET and AZURE_TENANT" in done.stderr
