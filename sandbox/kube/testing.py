"""Real control planes for tests, outside the sandbox server: `with running(tmp_path, ...) as world:`
runs `KubeClusters` on an event loop in a background thread and gives synchronous access to it."""
from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

from .binaries import locate
from .clusters import KubeCluster, KubeClusters
from .nodes import NodePool


class RunningWorld:
    def __init__(self, world: KubeClusters, loop: asyncio.AbstractEventLoop) -> None:
        self.world, self.loop = world, loop

    def _wait(self, coroutine: Any, timeout: float = 180) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    @property
    def kubeconfig(self) -> Path:
        return self.world.kubeconfig_path

    def add(self, name: str, pools: tuple[NodePool, ...] = (NodePool(count=3),), start: bool = True) -> KubeCluster:
        cluster = self._wait(self.world.add(f"/test/{name}", name, pools))
        if start:
            self._wait(self.world.ensure_running(cluster))
        return cluster

    def run(self, cluster: KubeCluster, work: Callable[[Any], Any]) -> Any:
        """`work(api_client)` against the cluster, as the sandbox's agent runs it."""
        return self._wait(self.world.run(cluster, work))

    def remove(self, name: str) -> None:
        self._wait(self.world.remove(f"/test/{name}"))


@contextlib.contextmanager
def running(state_dir: Path, max_running: int = 4) -> Iterator[RunningWorld]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="kube-test-loop", daemon=True)
    thread.start()
    world = KubeClusters(state_dir, locate(build=False), max_running=max_running)
    handle = RunningWorld(world, loop)
    try:
        handle._wait(world.start())
        yield handle
    finally:
        handle._wait(world.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
