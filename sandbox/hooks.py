"""The two hooks the later buildings plug into: per-cluster services and the end of an extension operation.

Nothing here knows Kubernetes. ``server.build()`` creates one :class:`Hooks`, registers the built-in
health check on it, and hands it to the parts that fire it; ``sandbox/kube/`` and ``sandbox/agent/``
register on the same object in ``server.install_buildings()``.

(a) Per-cluster services (``sandbox/kube/``: a real control plane per sandbox cluster)::

    class MyServices:                      # any object with these three coroutines (ClusterService)
        async def start_cluster(self, cluster: ClusterInfo) -> None: ...
        async def stop_cluster(self, cluster: ClusterInfo) -> None: ...
        async def close(self) -> None: ...  # server shutdown, after every stop_cluster
    hooks.add_cluster_service(MyServices())

``ClusterServices.sync()`` calls ``start_cluster`` for every cluster of the world when the server
starts, and after any request that seeded, replaced (stop, then start with the new seed), removed
(including ``POST /_sandbox/reset``) or created (AKS PUT) a cluster; ``stop_all()`` at shutdown.

(b) The end of an extension operation (``sandbox/agent/``: what the extension's Helm chart creates)::

    async def on_end(event: ExtensionOperationEvent) -> Optional[OperationFailure]: ...
    hooks.add_extension_operation_hook(on_end)

Called when a create/update/delete operation's delay has passed, just before the result is applied
to the resource, in registration order; the first hook returning an :class:`OperationFailure` turns
the operation ``Failed`` (that code and message on the resource, ``ExtensionOperationFailed`` on the
operation status) and the later hooks are not called. The built-in health check (failure rules from
the settings, then the AML extension's own checks) is registered first.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping, Optional, Protocol

log = logging.getLogger("sandbox.hooks")


@dataclass(frozen=True)
class ClusterInfo:
    """One sandbox cluster as the services see it. ``seed`` is the validated seed, extra fields (``nodes``,
    ``situations``) included; ``{}`` for a cluster created by an ARM PUT."""
    key: str  # the lower-cased ARM id, the world's key
    id: str
    name: str
    cluster_type: str  # managedClusters | connectedClusters
    subscription: str
    resource_group: str
    location: str
    node_count: int
    seed: Mapping[str, Any]


@dataclass(frozen=True)
class OperationFailure:
    code: str
    message: str


@dataclass(frozen=True)
class ExtensionOperationEvent:
    """An extension operation about to end. ``settings``/``protected`` are what the operation applies."""
    operation_id: str
    action: str  # create | update | delete
    extension_id: str
    extension_name: str
    extension_type: str
    release_namespace: Optional[str]
    version: Optional[str]
    settings: Mapping[str, str]
    protected: Mapping[str, str]
    cluster: ClusterInfo


ExtensionOperationHook = Callable[[ExtensionOperationEvent], Awaitable[Optional[OperationFailure]]]


class ClusterService(Protocol):
    async def start_cluster(self, cluster: ClusterInfo) -> None: ...

    async def stop_cluster(self, cluster: ClusterInfo) -> None: ...

    async def close(self) -> None: ...


@dataclass
class Hooks:
    cluster_services: list[ClusterService] = field(default_factory=list)
    extension_operation_hooks: list[ExtensionOperationHook] = field(default_factory=list)

    def add_cluster_service(self, service: ClusterService) -> None:
        self.cluster_services.append(service)

    def add_extension_operation_hook(self, hook: ExtensionOperationHook) -> None:
        self.extension_operation_hooks.append(hook)

    async def extension_operation_ending(self, event: ExtensionOperationEvent) -> Optional[OperationFailure]:
        for hook in self.extension_operation_hooks:
            failure = await hook(event)
            if failure is not None:
                return failure
        return None


class ClusterServices:
    """Keeps the registered cluster services in step with the world's clusters."""

    def __init__(self, hooks: Hooks, clusters: Callable[[], dict[str, ClusterInfo]]) -> None:
        self.hooks = hooks
        self.clusters = clusters
        self.running: dict[str, ClusterInfo] = {}
        self._lock = asyncio.Lock()  # concurrent requests that changed clusters sync one after another

    async def sync(self) -> None:
        """``stop_cluster`` for a cluster removed or re-seeded (its services forget it), ``start_cluster`` for a
        new one. A node count changed by an ARM PUT is not a new cluster (the seed did not change)."""
        if not self.hooks.cluster_services:
            return
        async with self._lock:
            wanted = self.clusters()
            changed = False
            for key, info in list(self.running.items()):
                if key not in wanted or wanted[key].seed != info.seed:
                    await self._each("stop_cluster", info)
                    del self.running[key]
                    changed = True
            for key, info in wanted.items():
                if key not in self.running:
                    await self._each("start_cluster", info)
                    self.running[key] = info
                    changed = True
            for service in self.hooks.cluster_services if changed else ():
                synced = getattr(service, "synced", None)  # optional: once after the batch
                if synced is not None:
                    await synced()

    async def stop_all(self) -> None:
        """Shutdown: the services close, keeping what they hold (a restart finds every cluster as it was);
        ``stop_cluster`` is only for clusters that are gone."""
        async with self._lock:
            self.running.clear()
            for service in self.hooks.cluster_services:
                await service.close()

    async def _each(self, method: str, info: ClusterInfo) -> None:
        for service in self.hooks.cluster_services:
            await getattr(service, method)(info)
