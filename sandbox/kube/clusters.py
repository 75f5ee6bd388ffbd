"""Every sandbox cluster's real control plane, started on first use.

A cluster's API server is reached at a public port that never changes (the one in `<state-dir>/kubeconfig`);
the sandbox listens there itself and passes the bytes, TLS and all, to the API server, starting the
cluster's control plane when the first connection arrives (socket activation, as systemd does). So only
clusters in use cost memory and CPU: at most `max_running` run at once, and the least recently used idle
one is stopped to make room. Its objects stay in etcd, so it comes back as it was.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import resource
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import kubeconfig
from .binaries import Binaries
from .controlplane import ControlPlane
from .etcd import Etcd
from .nodes import NodePool, ensure_nodes
from ..ports import free_port, port_free

log = logging.getLogger("sandbox.kube")

DEFAULT_MAX_RUNNING = 8
# A running cluster's four processes take about 500 MiB (make bench measures it): at most this share of the
# memory available at start goes to control planes, whatever max_running asks.
MEMORY_SHARE = 0.4
CLUSTER_MIB = 550
# A control plane nobody has used for this long is stopped (it comes back on the next use).
IDLE_STOP_SECONDS = 900.0
# Starting an API server costs seconds of CPU: two at a time keep a 2-core machine responsive.
PARALLEL_STARTS = 2
PIPE_CHUNK = 65536


def _raise_open_files_limit() -> None:
    """Every cluster holds a listening socket (its public port): a 1,000-cluster world needs more than the
    usual soft limit of 1,024 open files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 1 << 20, hard))


def memory_bound() -> int:
    """How many control planes fit in MEMORY_SHARE of the memory available now (at least 2)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return max(2, int(int(line.split()[1]) / 1024 * MEMORY_SHARE / CLUSTER_MIB))
    except OSError:
        pass
    return DEFAULT_MAX_RUNNING


def cluster_key(arm_id: str) -> str:
    """A short stable key for a cluster's ARM id (case-insensitive, as ARM ids are)."""
    return hashlib.sha256(arm_id.lower().encode()).hexdigest()[:16]


@dataclass
class KubeCluster:
    name: str
    arm_id: str
    key: str
    pools: tuple[NodePool, ...]
    plane: ControlPlane
    public_port: int = 0
    server: asyncio.base_events.Server | None = None
    last_used: float = field(default_factory=time.monotonic)
    users: int = 0                 # open proxied connections and running agent operations
    starting: bool = False         # counted as running while its processes start
    removed: bool = False
    nodes_ready: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.public_port}"


class KubeClusters:
    def __init__(self, state_dir: Path, binaries: Binaries, max_running: int = DEFAULT_MAX_RUNNING,
                 context_names: Callable[[], dict[str, str]] | None = None) -> None:
        """`context_names()` maps lower-cased ARM ids to kubeconfig context names (the inventory's host
        names); without it a context is named after its cluster."""
        self.context_names = context_names
        _raise_open_files_limit()
        self.directory = state_dir / "kube"
        self.kubeconfig_path = state_dir / "kubeconfig"
        self.binaries = binaries
        self.max_running = max(1, min(max_running, memory_bound()))
        self.etcd = Etcd(self.directory / "etcd", binaries)
        self.clusters: dict[str, KubeCluster] = {}
        self._starts = asyncio.Semaphore(PARALLEL_STARTS)
        self._reaper: asyncio.Task | None = None
        self._evicting = asyncio.Lock()

    @property
    def kubernetes_version(self) -> str:
        return self.binaries.kubernetes_version

    async def start(self) -> None:
        if self.etcd.process is None or not self.etcd.process.running:
            await self.etcd.start()
            self._reaper = asyncio.create_task(self._stop_idle())

    async def _stop_idle(self) -> None:
        while True:
            await asyncio.sleep(IDLE_STOP_SECONDS / 5)
            try:
                await self._stop_idle_once()
            except Exception:  # the reaper goes on; the sandbox's log says why this round failed
                log.exception("stopping idle control planes failed")

    async def _stop_idle_once(self) -> None:
        for cluster in list(self.clusters.values()):
            if cluster.plane.running and cluster.users == 0 and \
                    time.monotonic() - cluster.last_used > IDLE_STOP_SECONDS:
                async with cluster.lock:
                    if cluster.users == 0 and time.monotonic() - cluster.last_used > IDLE_STOP_SECONDS:
                        log.info("stopping the control plane of %s, idle for %.0f s", cluster.name,
                                 time.monotonic() - cluster.last_used)
                        await cluster.plane.stop()

    async def stop(self) -> None:
        if self._reaper:
            self._reaper.cancel()
        await asyncio.gather(*(self._close(c) for c in self.clusters.values()))
        await asyncio.gather(*(c.plane.stop() for c in self.clusters.values()))
        await self.etcd.stop()

    # --- the clusters the ARM world has
    async def add(self, arm_id: str, name: str, pools: tuple[NodePool, ...], write: bool = True) -> KubeCluster:
        """Make a cluster reachable (its public port listens); its processes start on first use. With
        `write=False` the caller writes the kubeconfig once after a batch (`write_kubeconfig()`)."""
        key = cluster_key(arm_id)
        existing = self.clusters.get(key)
        if existing:
            return existing
        await self.start()  # etcd, once: the first cluster's API server needs it
        directory = self.directory / "clusters" / key
        cluster = KubeCluster(name=name, arm_id=arm_id, key=key, pools=pools,
                              plane=ControlPlane(name, key, directory, self.binaries, self.etcd.url))
        self.clusters[key] = cluster
        await self._listen(cluster)
        if write:
            self.write_kubeconfig()
        return cluster

    async def remove(self, arm_id: str, write: bool = True) -> None:
        """A deleted cluster: its processes stop and its objects, certificates and port go."""
        cluster = self.clusters.pop(cluster_key(arm_id), None)
        if cluster is None:
            return
        await self._close(cluster)
        async with cluster.lock:  # a start in progress finishes first, then everything goes
            cluster.removed = True
            await cluster.plane.stop()
        await asyncio.get_running_loop().run_in_executor(
            None, self.etcd.delete_prefix, f"/clusters/{cluster.key}/")
        shutil.rmtree(cluster.plane.directory, ignore_errors=True)
        if write:
            self.write_kubeconfig()

    def get(self, arm_id: str) -> KubeCluster | None:
        return self.clusters.get(cluster_key(arm_id))

    # --- use
    async def ensure_running(self, cluster: KubeCluster) -> None:
        cluster.last_used = time.monotonic()
        async with cluster.lock:
            if cluster.removed:
                raise RuntimeError(f"the cluster {cluster.name} was removed")
            if cluster.plane.running and cluster.nodes_ready:
                return
            if not cluster.plane.running:
                await self._make_room(cluster)
                try:
                    async with self._starts:
                        started = time.monotonic()
                        await cluster.plane.start()
                        log.info("control plane of %s ready in %.1f s", cluster.name, time.monotonic() - started)
                finally:
                    cluster.starting = False
            if not cluster.nodes_ready:
                await asyncio.get_running_loop().run_in_executor(
                    None, self._call, cluster, lambda api: ensure_nodes(api, cluster.pools, self.kubernetes_version))
                cluster.nodes_ready = True

    async def run(self, cluster: KubeCluster, work: Callable[[Any], Any], start: bool = True) -> Any:
        """Run `work(api_client)` in a thread against the running cluster (the agent's entry point)."""
        cluster.users += 1  # before the start: a cluster being started for work is not idle
        try:
            if start:
                await self.ensure_running(cluster)
            return await asyncio.get_running_loop().run_in_executor(None, self._call, cluster, work)
        finally:
            cluster.users -= 1
            cluster.last_used = time.monotonic()

    @staticmethod
    def _call(cluster: KubeCluster, work: Callable[[Any], Any]) -> Any:
        from kubernetes import config
        api = config.new_client_from_config(config_file=str(cluster.plane.admin_kubeconfig))
        try:
            return work(api)
        finally:
            api.close()

    async def _make_room(self, wanted: KubeCluster) -> None:
        """Reserve a slot for `wanted` (counted while it starts), stopping least recently used idle clusters."""
        async with self._evicting:
            def occupied() -> list[KubeCluster]:
                return [c for c in self.clusters.values()
                        if c is not wanted and (c.plane.running or c.starting)]
            while len(occupied()) >= self.max_running:
                idle = sorted((c for c in occupied() if c.users == 0 and not c.starting and not c.lock.locked()),
                              key=lambda c: c.last_used)
                if not idle:
                    log.warning("%d control planes run (max %d) and none is idle: starting %s beyond the cap",
                                len(occupied()), self.max_running, wanted.name)
                    break
                victim = idle[0]
                log.info("stopping the idle control plane of %s to make room", victim.name)
                await victim.plane.stop()
            wanted.starting = True

    # --- the public port
    async def _listen(self, cluster: KubeCluster) -> None:
        port_file = cluster.plane.directory / "public-port"
        try:
            port = int(port_file.read_text())
        except (OSError, ValueError):
            port = 0
        if not port or not port_free(port):
            port = free_port()
        cluster.server = await asyncio.start_server(
            lambda r, w: self._proxy(cluster, r, w), "127.0.0.1", port)
        cluster.public_port = port
        port_file.parent.mkdir(parents=True, exist_ok=True)
        port_file.write_text(str(port))

    async def _close(self, cluster: KubeCluster) -> None:
        if cluster.server:
            cluster.server.close()
            cluster.server = None

    async def _proxy(self, cluster: KubeCluster, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        cluster.users += 1
        try:
            try:
                await self.ensure_running(cluster)
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", cluster.plane.internal_port)
            except Exception as error:  # any start failure: the client sees a closed connection, the log says why
                log.warning("cannot start the control plane of %s: %s", cluster.name, error)
                writer.close()
                return
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            cluster.users -= 1
            cluster.last_used = time.monotonic()

    def write_kubeconfig(self) -> None:
        names = self.context_names() if self.context_names else {}
        kubeconfig.write_users(self.kubeconfig_path, [
            kubeconfig.Context(names.get(c.arm_id.lower(), c.name), c.url, c.plane.pki)
            for c in self.clusters.values()])

    def status(self) -> list[dict[str, Any]]:
        return [{"name": c.name, "key": c.key, "server": c.url, "running": c.plane.running,
                 "pids": [p.pid for p in c.plane.processes], "nodes": [p.as_seed() for p in c.pools]}
                for c in self.clusters.values()]


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await reader.read(PIPE_CHUNK)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except RuntimeError:
            pass
