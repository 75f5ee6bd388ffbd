"""Microsoft.Kubernetes/connectedClusters: GET and lists paged by nextLink (azure-mgmt-hybridkubernetes 2.0.0, api 2026-05-01).

Arc clusters are created by seeding (POST /_sandbox/clusters), since connecting one needs an agent.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from ..protocol import json_response, not_found_arm
from .paging import DEFAULT_PAGE_SIZE, page
from .routing import RG, SUB, Route

if TYPE_CHECKING:
    from ..state.world import World


NS = "Microsoft.Kubernetes"
RTYPE = "Microsoft.Kubernetes/connectedClusters"


class ConnectedClusters:
    """Microsoft.Kubernetes/connectedClusters: reads the world's clusters."""

    def __init__(self, world: "World") -> None:
        self.world = world

    async def get_cc(self, request: web.Request, p: dict[str, str]) -> web.Response:
        _, c = self.world.cluster(RTYPE, p["sub"], p["rg"], p["name"])
        if c is None:
            raise not_found_arm(RTYPE, p["name"], p["rg"])
        return json_response(c["body"])

    async def list_cc(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return page(request, self.world.cluster_bodies("connectedClusters", p["sub"], p.get("rg", "")),
                    self.world.settings.get("cluster_page_size", DEFAULT_PAGE_SIZE))

    def routes(self) -> list[Route]:
        return [
            Route(RG + r"/providers/Microsoft\.Kubernetes/connectedClusters", {"GET": self.list_cc}, "connectedclusters", NS),
            Route(SUB + r"/providers/Microsoft\.Kubernetes/connectedClusters", {"GET": self.list_cc}, "connectedclusters", NS),
            Route(RG + r"/providers/Microsoft\.Kubernetes/connectedClusters/(?P<name>[^/]+)", {"GET": self.get_cc},
                  "connectedclusters", NS),
        ]
