"""The nodes of a sandbox cluster, from its seed: pools with a count, allocatable CPU and memory,
`nvidia.com/gpu`, labels and taints. They are real Node objects in the real API server; kwok keeps them
Ready (it manages the nodes carrying its annotation) and runs the pods the scheduler binds to them."""
from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping

from .controlplane import KWOK_NODE_ANNOTATION

# A node like AKS's default Standard_D4s_v3: 4 vCPU, 16 GiB, of which the kubelet reserves some.
DEFAULT_CPU = "3860m"
DEFAULT_MEMORY = "12Gi"
DEFAULT_POOL = "nodepool1"
CONTAINER_RUNTIME = "containerd://1.7.27-1"
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$")
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


class NodeSpecError(ValueError):
    """A node pool in a cluster seed that cannot be made into Nodes; the message names the field."""


@dataclass(frozen=True)
class NodePool:
    name: str = DEFAULT_POOL
    count: int = 3
    cpu: str = DEFAULT_CPU
    memory: str = DEFAULT_MEMORY
    gpu: int = 0
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: tuple[Mapping[str, str], ...] = ()
    container_runtime: str = CONTAINER_RUNTIME

    def as_seed(self) -> dict[str, Any]:
        return {"name": self.name, "count": self.count, "cpu": self.cpu, "memory": self.memory,
                "gpu": self.gpu, "labels": dict(self.labels), "taints": [dict(t) for t in self.taints],
                "container_runtime": self.container_runtime}


def _field(where: str, name: str) -> str:
    return f"{where}.{name}"


def parse_pools(raw: Any, node_count: int, where: str = "nodes") -> tuple[NodePool, ...]:
    """Node pools from a seed's `nodes` list; without one, `node_count` default nodes."""
    if raw is None:
        return (NodePool(count=node_count),) if node_count > 0 else ()
    if not isinstance(raw, list):
        raise NodeSpecError(f"{where} must be a list of node pools")
    pools, names = [], set()
    for index, entry in enumerate(raw):
        at = f"{where}[{index}]"
        if not isinstance(entry, dict):
            raise NodeSpecError(f"{at} must be an object")
        unknown = set(entry) - {"name", "count", "cpu", "memory", "gpu", "labels", "taints", "container_runtime"}
        if unknown:
            raise NodeSpecError(f"{at} has unknown fields {sorted(unknown)}")
        name = entry.get("name", f"pool{index + 1}" if index else DEFAULT_POOL)
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9]{0,11}", name) or name in names:
            raise NodeSpecError(f"{_field(at, 'name')} must be a unique lower-case name of at most 12 letters and digits")
        names.add(name)
        count = entry.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 100:
            raise NodeSpecError(f"{_field(at, 'count')} must be an integer from 0 to 100")
        quantities = {}
        for key, default in (("cpu", DEFAULT_CPU), ("memory", DEFAULT_MEMORY)):
            value = str(entry.get(key, default))
            if not _QUANTITY.match(value):
                raise NodeSpecError(f"{_field(at, key)} must be a Kubernetes quantity such as 4, 3860m or 16Gi")
            quantities[key] = value
        gpu = entry.get("gpu", 0)
        if not isinstance(gpu, int) or isinstance(gpu, bool) or gpu < 0:
            raise NodeSpecError(f"{_field(at, 'gpu')} must be a non-negative integer (nvidia.com/gpu per node)")
        labels = entry.get("labels", {})
        if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
            raise NodeSpecError(f"{_field(at, 'labels')} must map strings to strings")
        taints = entry.get("taints", [])
        if not isinstance(taints, list):
            raise NodeSpecError(f"{_field(at, 'taints')} must be a list")
        for t_index, taint in enumerate(taints):
            if (not isinstance(taint, dict) or not isinstance(taint.get("key"), str)
                    or taint.get("effect") not in _TAINT_EFFECTS
                    or not isinstance(taint.get("value", ""), str) or set(taint) - {"key", "value", "effect"}):
                raise NodeSpecError(f"{_field(at, 'taints')}[{t_index}] must be {{key, value, effect}} with effect "
                                    f"one of {', '.join(_TAINT_EFFECTS)}")
        runtime = entry.get("container_runtime", CONTAINER_RUNTIME)
        if not isinstance(runtime, str) or "://" not in runtime:
            raise NodeSpecError(f"{_field(at, 'container_runtime')} must look like containerd://1.7.27")
        pools.append(NodePool(name=name, count=count, cpu=quantities["cpu"], memory=quantities["memory"],
                              gpu=gpu, labels=dict(labels), taints=tuple(dict(t) for t in taints),
                              container_runtime=runtime))
    return tuple(pools)


def node_names(pool: NodePool) -> list[str]:
    # AKS names its nodes aks-<pool>-<8 digits>-vmss<6 base-36 digits>.
    return [f"aks-{pool.name}-12345678-vmss{index:06d}" for index in range(pool.count)]


def node_objects(pools: tuple[NodePool, ...], kubernetes_version: str) -> list[dict[str, Any]]:
    nodes = []
    for pool in pools:
        resources = {"cpu": pool.cpu, "memory": pool.memory, "pods": "110", "ephemeral-storage": "100Gi"}
        if pool.gpu:
            resources["nvidia.com/gpu"] = str(pool.gpu)
        for name in node_names(pool):
            labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                      "kubernetes.azure.com/agentpool": pool.name, "agentpool": pool.name, "type": "kwok"}
            labels.update(pool.labels)
            nodes.append({
                "apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": labels,
                             "annotations": {KWOK_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"}},
                "spec": {"taints": [dict(t) for t in pool.taints]} if pool.taints else {},
                "status": {"allocatable": dict(resources), "capacity": dict(resources),
                           "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux",
                                        "kubeletVersion": f"v{kubernetes_version}",
                                        "kubeProxyVersion": f"v{kubernetes_version}",
                                        "containerRuntimeVersion": pool.container_runtime,
                                        "osImage": "Ubuntu 22.04.5 LTS", "kernelVersion": "5.15.0-1079-azure",
                                        **_identities(name)}},
            })
    return nodes


def _identities(name: str) -> dict[str, str]:
    machine = uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.sandbox")
    return {"machineID": machine.hex, "systemUUID": str(machine), "bootID": str(uuid.uuid5(machine, "boot"))}


NODES_READY_TIMEOUT = 60.0


def ensure_nodes(api_client: Any, pools: tuple[NodePool, ...], kubernetes_version: str) -> None:
    """Create the seed's nodes that do not exist yet (a restart or a second call creates nothing), then wait
    until kwok has made every one Ready: a cluster is handed over only when its nodes are what the seed says."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    core = client.CoreV1Api(api_client)
    existing = {n.metadata.name for n in core.list_node().items}
    wanted = node_objects(pools, kubernetes_version)
    for node in wanted:
        if node["metadata"]["name"] in existing:
            continue
        try:
            core.create_node(node)
        except ApiException as error:
            if error.status != 409:
                raise
    names = {n["metadata"]["name"] for n in wanted}
    deadline = time.monotonic() + NODES_READY_TIMEOUT
    while True:
        ready = {n.metadata.name for n in core.list_node().items
                 if any(c.type == "Ready" and c.status == "True" for c in (n.status.conditions or []))}
        if names <= ready:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"nodes {sorted(names - ready)} not Ready after {NODES_READY_TIMEOUT:.0f} s: "
                               "is kwok running? (see its log in the cluster's logs/)")
        time.sleep(0.2)
