"""GET and the paged lists of one cluster resource type (AKS managedClusters, Arc connectedClusters): the same
reads of the world's clusters for both providers."""
from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from ..protocol import json_response, not_found_arm
from .paging import DEFAULT_PAGE_SIZE, page

if TYPE_CHECKING:
    from ..state.world import World


class ClusterReads:
    """Reads the world's clusters of one type (`cluster_type` as seeded, `rtype` as ARM writes it)."""

    def __init__(self, world: "World", cluster_type: str, rtype: str) -> None:
        self.world, self.cluster_type, self.rtype = world, cluster_type, rtype

    async def get(self, request: web.Request, p: dict[str, str]) -> web.Response:
        _, c = self.world.cluster(self.rtype, p["sub"], p["rg"], p["name"])
        if c is None:
            raise not_found_arm(self.rtype, p["name"], p["rg"])
        return json_response(c["body"])

    async def list(self, request: web.Request, p: dict[str, str]) -> web.Response:
        return page(request, self.world.cluster_bodies(self.cluster_type, p["sub"], p.get("rg", "")),
                    self.world.settings.get("cluster_page_size", DEFAULT_PAGE_SIZE))
