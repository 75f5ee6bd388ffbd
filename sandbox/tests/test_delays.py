"""Per-cluster provisioning delays: one slow cluster does not slow the others (the global delay stays)."""
from __future__ import annotations

import time

from azure.mgmt.kubernetesconfiguration.models import Extension

from .conftest import RG

SLOW = 2.0  # the global delay is FAST's 0.2 s


def _state(ext_client, cluster: str) -> str:
    return ext_client.extensions.get(RG, "Microsoft.ContainerService", "managedClusters", cluster,
                                     "flux").provisioning_state


def test_seeded_cluster_delay_applies_to_its_operations_only(sandbox, ext_client):
    status, _, _ = sandbox.ctl("POST", "/_sandbox/clusters", {"clusters": [
        {"name": "aks-slow", "cluster_type": "managedClusters", "provisioning_delay_seconds": SLOW},
        {"name": "aks-quick", "cluster_type": "managedClusters"}]})
    assert status == 201
    listed = {c["name"]: c["_sandbox"] for c in sandbox.ctl("GET", "/_sandbox/clusters")[1]["value"]}
    assert listed["aks-slow"]["provisioning_delay_seconds"] == SLOW
    assert listed["aks-quick"]["provisioning_delay_seconds"] is None

    for cluster in ("aks-slow", "aks-quick"):
        ext_client.extensions.begin_create(RG, "Microsoft.ContainerService", "managedClusters", cluster, "flux",
                                           Extension(extension_type="microsoft.flux"), polling=False).result()
    time.sleep(0.5)
    assert _state(ext_client, "aks-quick") == "Succeeded"
    assert _state(ext_client, "aks-slow") == "Creating"
    ops = [o for o in sandbox.ctl("GET", "/_sandbox/state")[1]["operations"].values() if "aks-slow" in o["target"]]
    assert len(ops) == 1 and abs(ops[0]["deadline"] - ops[0]["start"] - SLOW) < 0.01
    time.sleep(max(0.0, ops[0]["deadline"] + 0.05 - time.time()))
    assert _state(ext_client, "aks-slow") == "Succeeded"


def test_cluster_delay_must_be_a_non_negative_number(sandbox):
    for bad in (-1, "3", True):
        status, body, _ = sandbox.ctl("POST", "/_sandbox/clusters", {"name": "aks-bad", "provisioning_delay_seconds": bad})
        assert status == 400 and body["error"]["code"] == "InvalidClusterSpec", bad
        assert "provisioning_delay_seconds" in body["error"]["message"]
