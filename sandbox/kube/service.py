"""How the ARM world and the real clusters meet (registered by `server.install_buildings`):

- `KubeService` is the sandbox's cluster service: every cluster of the ARM world gets a control plane,
  reachable at once, started on first use; a seed's `situations` are written into it when it is seeded;
  a removed cluster loses its objects.
- `extension_agent` is the extension-operation hook: when an AML extension operation is about to end, the
  health check reads the real cluster (as the real one does before the operation ends) and either fails
  the operation or the agent creates, updates or deletes what the extension's chart would.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from sandbox import seeds
from sandbox.agent import healthcheck, install

from .clusters import KubeClusters
from .nodes import parse_pools

log = logging.getLogger("sandbox.kube")

AML_EXTENSION_TYPE = "microsoft.azureml.kubernetes"
SITUATIONS_APPLIED = "situations-applied"


class KubeService:
    def __init__(self, clusters: KubeClusters) -> None:
        self.clusters = clusters

    async def start_cluster(self, info: Any) -> None:
        pools = parse_pools(info.seed.get("nodes"), info.node_count)
        cluster = await self.clusters.add(info.id, info.name, pools, write=False)
        situations = info.seed.get("situations")
        marker = cluster.plane.directory / SITUATIONS_APPLIED
        if situations and not marker.exists():
            await self.clusters.run(cluster, lambda api: seeds.apply(api, situations))
            marker.write_text("done\n")

    async def stop_cluster(self, info: Any) -> None:
        await self.clusters.remove(info.id, write=False)

    async def synced(self) -> None:
        """After a batch of starts and stops: the kubeconfig written once (seeding 500 clusters writes it once)."""
        self.clusters.write_kubeconfig()

    async def close(self) -> None:
        await self.clusters.stop()


def extension_agent(clusters: KubeClusters):
    async def on_end(event: Any) -> Optional[Any]:
        from sandbox.hooks import OperationFailure

        if event.extension_type.lower() != AML_EXTENSION_TYPE:
            return None
        cluster = clusters.get(event.cluster.id)
        if cluster is None:
            return None
        name, settings, kind = event.extension_name, dict(event.settings), event.cluster.cluster_type
        operation = {"create": "install"}.get(event.action, event.action)

        def act(api: Any) -> Optional[healthcheck.Failure]:
            failure = healthcheck.check(api, name, settings, kind, operation)
            if failure is not None:
                return failure
            if event.action == "delete":
                install.delete(api, name, wait_seconds=120)  # the operation ends when azureml is gone, as Helm's uninstall does
            else:
                install.apply(api, name, settings, kind, event.version)
            return None

        failure = await clusters.run(cluster, act)
        if failure is None:
            return None
        log.info("extension %s on %s failed its health check: %s", name, event.cluster.name, failure.code)
        return OperationFailure(failure.code, failure.message)

    return on_end
