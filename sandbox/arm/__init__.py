"""The Azure side of the sandbox: one module per resource provider (or protocol), each a class built with
exactly the state it needs, and the ONE table that registers every route and operation kind.

- ``routing``            the route table type (one scheme for ARM, auth and control paths)
- ``ratelimit``          x-ms-ratelimit-remaining-* counters and 429
- ``auth``               managed identity, Entra ID authority, bearer-token checks
- ``cloud``              /metadata/endpoints (public Azure's object; Azure Stack Hub's list on request)
- ``subscriptions``      subscriptions and locations
- ``providers``          resource-provider registration
- ``container_service``  Microsoft.ContainerService/managedClusters and its operations
- ``connected_clusters`` Microsoft.Kubernetes/connectedClusters
- ``extensions``         Microsoft.KubernetesConfiguration/extensions and their operations
- ``healthcheck``        the built-in hook deciding failed extension operations
- ``relay``              Microsoft.Relay namespaces, hybrid connections, rules, keys
- ``network``            Microsoft.Network service tags
- ``regions``            the regions the sandbox knows
"""
from __future__ import annotations

from dataclasses import dataclass

from ..hooks import Hooks
from ..state.operations import Operations
from ..state.world import World
from .auth import Auth
from .cloud import CloudMetadata
from .connected_clusters import ConnectedClusters
from .container_service import ContainerService
from .extensions import Extensions
from .network import Network
from .providers import Providers
from .relay import Relay
from .routing import Route
from .subscriptions import Subscriptions


@dataclass
class Arm:
    """What the request pipeline needs of the providers: ``auth`` (bearer check), ``providers.settle`` (due
    registrations, before every request) and every route."""
    auth: Auth
    providers: Providers
    routes: list[Route]


def build(world: World, ops: Operations, hooks: Hooks) -> Arm:
    """Build every provider, register its operation kind, and list every route (ARM and unauthenticated)."""
    auth = Auth(world)
    extensions = Extensions(world, ops, hooks)
    container_service = ContainerService(world, ops)
    relay = Relay(world, ops)
    ops.register("extension", extensions.apply, ending=extensions.ending)
    ops.register("aks", container_service.apply)
    ops.register("relay", relay.apply)
    providers = Providers(world)
    routes: list[Route] = []
    for provider in (CloudMetadata(world), auth, extensions, container_service, ConnectedClusters(world),
                     providers, Network(world), Subscriptions(world), relay):
        routes += provider.routes()
    return Arm(auth=auth, providers=providers, routes=routes)
