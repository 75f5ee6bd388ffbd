"""Microsoft.Kubernetes/connectedClusters: GET and lists paged by nextLink (azure-mgmt-hybridkubernetes 2.0.0, api 2026-05-01).

Arc clusters are created by seeding (POST /_sandbox/clusters), since connecting one needs an agent.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .cluster_reads import ClusterReads
from .routing import RG, SUB, Route

if TYPE_CHECKING:
    from ..state.world import World


NS = "Microsoft.Kubernetes"
RTYPE = "Microsoft.Kubernetes/connectedClusters"


class ConnectedClusters:
    """Microsoft.Kubernetes/connectedClusters: reads the world's clusters."""

    def __init__(self, world: "World") -> None:
        self.world = world
        self.reads = ClusterReads(world, "connectedClusters", RTYPE)

    def routes(self) -> list[Route]:
        return [
            Route(RG + r"/providers/Microsoft\.Kubernetes/connectedClusters", {"GET": self.reads.list}, "connectedclusters", NS),
            Route(SUB + r"/providers/Microsoft\.Kubernetes/connectedClusters", {"GET": self.reads.list}, "connectedclusters", NS),
            Route(RG + r"/providers/Microsoft\.Kubernetes/connectedClusters/(?P<name>[^/]+)", {"GET": self.reads.get},
                  "connectedclusters", NS),
        ]
