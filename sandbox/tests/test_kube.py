"""The real control planes: nodes Ready through kwok, pods scheduled and Running, RBAC enforced, objects
kept across a stop, socket activation through the public port, eviction, removal."""
from __future__ import annotations

import subprocess
import time

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from sandbox.kube.nodes import NodePool
from sandbox.kube.testing import running



def _until(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _deployment(name: str, replicas: int, cpu: str = "100m") -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "busybox",
                                                           "resources": {"requests": {"cpu": cpu}}}]}}}}


def _pod_phases(api, namespace="default"):
    return sorted(p.status.phase for p in client.CoreV1Api(api).list_namespaced_pod(namespace).items)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with running(tmp_path_factory.mktemp("kube"), max_running=2) as handle:
        yield handle


def test_nodes_from_the_seed_are_ready_with_their_resources(world):
    cluster = world.add("nodes", (NodePool(count=2), NodePool(name="gpu", count=1, gpu=2, cpu="6", memory="56Gi",
                                                               taints=({"key": "sku", "value": "gpu",
                                                                        "effect": "NoSchedule"},))))

    def ready_nodes(api):
        nodes = client.CoreV1Api(api).list_node().items
        return [n for n in nodes if any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or [])]

    nodes = _until(lambda: len(world.run(cluster, ready_nodes)) == 3 and world.run(cluster, ready_nodes),
                   what="3 Ready nodes")
    gpu = next(n for n in nodes if n.metadata.labels["agentpool"] == "gpu")
    assert gpu.status.allocatable["nvidia.com/gpu"] == "2"
    assert gpu.spec.taints[0].key == "sku"
    assert gpu.status.node_info.container_runtime_version.startswith("containerd://")


def test_a_deployment_runs_and_pods_beyond_capacity_stay_pending(world):
    cluster = world.add("sched", (NodePool(count=1, cpu="1"),))
    world.run(cluster, lambda api: client.AppsV1Api(api).create_namespaced_deployment("default", _deployment("web", 2)))
    _until(lambda: world.run(cluster, _pod_phases) == ["Running", "Running"], what="2 Running pods")
    world.run(cluster, lambda api: client.AppsV1Api(api).create_namespaced_deployment(
        "default", _deployment("big", 1, cpu="2")))

    def pending_reason(api):
        pods = client.CoreV1Api(api).list_namespaced_pod("default", label_selector="app=big").items
        for pod in pods:
            for condition in pod.status.conditions or []:
                if condition.type == "PodScheduled" and condition.status == "False":
                    return condition.message
        return None

    assert "Insufficient cpu" in _until(lambda: world.run(cluster, pending_reason), what="Unschedulable")


def test_rbac_refuses_a_service_account_without_a_binding(world):
    cluster = world.add("rbac", (NodePool(count=1),))

    def token(api):
        core = client.CoreV1Api(api)
        _until(lambda: core.list_namespaced_service_account("default").items, what="default service account")
        request = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[]))
        return core.create_namespaced_service_account_token("default", "default", request).status.token

    bearer = world.run(cluster, token)
    configuration = client.Configuration()
    configuration.host = cluster.url
    configuration.ssl_ca_cert = str(cluster.plane.pki.ca)
    configuration.api_key = {"authorization": f"Bearer {bearer}"}
    with pytest.raises(ApiException) as refused:
        client.CoreV1Api(client.ApiClient(configuration)).list_namespaced_secret("kube-system")
    assert refused.value.status == 403


def test_kubectl_reaches_an_evicted_cluster_through_its_public_port(world):
    first = world.add("evict-a", (NodePool(count=1),))
    world.run(first, lambda api: client.CoreV1Api(api).create_namespace({"metadata": {"name": "kept"}}))
    world.add("evict-b", (NodePool(count=1),))
    world.add("evict-c", (NodePool(count=1),))  # max_running=2: the idle evict-a stops
    assert not first.plane.running
    out = subprocess.run(["kubectl", "--kubeconfig", str(world.kubeconfig), "--context", "evict-a",
                          "get", "namespace", "kept", "-o", "name"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "namespace/kept"
    assert first.plane.running


def test_a_removed_cluster_loses_its_objects(world):
    cluster = world.add("gone", (NodePool(count=1),))
    world.run(cluster, lambda api: client.CoreV1Api(api).create_namespace({"metadata": {"name": "old"}}))
    world.remove("gone")
    again = world.add("gone", (NodePool(count=1),))
    names = world.run(again, lambda api: [n.metadata.name for n in client.CoreV1Api(api).list_namespace().items])
    assert "old" not in names and "default" in names


def test_the_server_reports_the_version_it_runs(world):
    cluster = world.add("version", (NodePool(count=1),))
    api = config.new_client_from_config(config_file=str(world.kubeconfig), context="version")
    info = client.VersionApi(api).get_code()
    assert info.git_version == f"v{world.world.kubernetes_version}"
    assert cluster.plane.running
